"""Shared security pieces: encryption at rest, the audit trail, API tokens and tickets."""
