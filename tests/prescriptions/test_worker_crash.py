"""A real db_worker is SIGKILLed in the middle of a refill reminder; after recovery a new
worker finishes it, and the patient still gets exactly one reminder (in-app and SMS).

Two crash points, as for the follow-up reminders: before the job's transaction commits
(nothing delivered, the job must run again) and just after (delivered, but the queue row
still says RUNNING: the re-run must not deliver twice).
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinics.followups.models import Notification, SmsMessage
from clinics.prescriptions import tasks
from cloudhospital.core import jobs
from tests.followups.test_worker_crash import _worker
from tests.prescriptions.conftest import approved


@pytest.mark.parametrize("when", ["before_commit", "after_commit"])
def test_a_refill_reminder_takes_effect_once_across_a_worker_crash(transactional_db, world,
                                                                   rx, tmp_path, when):
    done = approved(world, rx)
    [row] = DBTaskResult.objects.filter(task_path=tasks.send_refill_reminder.module_path)
    DBTaskResult.objects.exclude(pk=row.pk).delete()  # visit reminders, approval notice
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
    assert row.status == "RUNNING"
    delivered = Notification.objects.filter(kind="refill_reminder").count()
    assert delivered == (1 if when == "after_commit" else 0)

    assert jobs.recover_lost_jobs() == [str(row.pk)]
    survivor = _worker(tmp_path, "--batch")
    assert survivor.wait(timeout=60) == 0, (tmp_path / "worker.log").read_text()

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and len(row.worker_ids) == 2
    assert row.return_value == ("already sent" if when == "after_commit" else "sent")
    key = f"rx-refill:{done.pk}:{done.supply_end.isoformat()}"
    assert list(Notification.objects.filter(kind="refill_reminder")
                .values_list("dedupe_key", flat=True)) == [key]
    assert list(SmsMessage.objects.values_list("dedupe_key", flat=True)) == [key]
