"""Put task rows whose worker died back in the queue (see cloudhospital/core/jobs.py).

django-tasks-db leaves a job RUNNING forever when its worker is killed mid-job. Run this
after a worker crash or from a deploy's restart hook; the periodic follow-up scan runs
the same step on its own. Jobs are idempotent, so a job whose worker was only slow
(past FOLLOWUP_JOB_LEASE_SECONDS) may run twice but takes effect once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from cloudhospital.core.jobs import recover_lost_jobs


class Command(BaseCommand):
    help = "Re-queue task rows left RUNNING by a worker that is gone."

    def handle(self, **options):
        recovered = recover_lost_jobs()
        for pk in recovered:
            self.stdout.write(f"recovered {pk}")
        self.stdout.write(self.style.SUCCESS(f"{len(recovered)} job(s) recovered"))
