"""Project-wide pieces that are not a domain: health, the platform runner, commands."""
