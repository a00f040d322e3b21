"""Remove interrupted-write temp files and unindexed blobs older than a grace period."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from imaging.gc import collect


class Command(BaseCommand):
    help = "Delete blob-store leftovers of crashes (temp files, blobs never indexed)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=float, default=1.0)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, older_than_hours, dry_run, **options):
        result = collect(older_than_hours * 3600, dry_run=dry_run)
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(f"{verb} {result.temporary} temporary file(s) and "
                          f"{result.orphans} unindexed blob(s)")
