"""A real db_worker is SIGKILLed in the middle of a reminder job; after recovery a new
worker finishes it, and the patient still gets exactly one reminder (in-app and SMS).

Two crash points: before the job's transaction commits (nothing delivered yet, the job
must run again) and just after (delivered, but the queue row still says RUNNING: the
re-run must not deliver twice).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinics.followups import booking, tasks
from clinics.followups.models import Notification, SmsMessage
from cloudhospital.core import jobs
from tests.conftest import ROOT


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def _worker(tmp_path, *extra, **env):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "db_worker", "--queue-name", "*",
         "--no-reload", "--no-startup-delay", "--interval", "0.2", *extra],
        cwd=ROOT, stdout=open(tmp_path / "worker.log", "a"), stderr=subprocess.STDOUT,  # noqa: SIM115
        env={**os.environ, "DATABASE_URL": _database_url(), **env})


@pytest.mark.parametrize("when", ["before_commit", "after_commit"])
def test_a_reminder_takes_effect_once_across_a_worker_crash(transactional_db, world, fu,
                                                            tmp_path, when):
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    row = next(r for r in DBTaskResult.objects.filter(task_path=tasks.send_reminder.module_path)
               if r.args_kwargs["args"][1] == "24h")
    DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())
    marker = tmp_path / "hanging"

    doomed = _worker(tmp_path, FOLLOWUP_SMS_BACKEND="tests.followups.sms_gateways.HangingGateway",
                     FOLLOWUP_TEST_HANG_MARKER=str(marker), FOLLOWUP_TEST_HANG_WHEN=when)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert doomed.poll() is None, (tmp_path / "worker.log").read_text()
        assert time.monotonic() < deadline, "the worker never reached the SMS gateway"
        time.sleep(0.05)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()

    row.refresh_from_db()
    assert row.status == "RUNNING"  # what django-tasks-db leaves behind
    delivered = Notification.objects.filter(kind="reminder").count()
    assert delivered == (1 if when == "after_commit" else 0)

    assert jobs.recover_lost_jobs() == [str(row.pk)]
    survivor = _worker(tmp_path, "--batch")
    assert survivor.wait(timeout=60) == 0, (tmp_path / "worker.log").read_text()

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and len(row.worker_ids) == 2
    assert row.return_value == ("already sent" if when == "after_commit" else "sent")
    key = f"reminder:{visit.pk}:24h:{fu.tomorrow.start.isoformat()}"
    assert list(Notification.objects.values_list("dedupe_key", flat=True)) == [key]
    assert list(SmsMessage.objects.values_list("dedupe_key", flat=True)) == [key]
