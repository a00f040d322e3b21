"""Queue the periodic follow-up scan (idempotent: at most one pending run is kept)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from clinics.followups.tasks import start_periodic_jobs


class Command(BaseCommand):
    help = "Make sure the periodic follow-up scan is queued for db_worker."

    def handle(self, **options):
        start_periodic_jobs()
        self.stdout.write(self.style.SUCCESS("periodic follow-up scan queued"))
