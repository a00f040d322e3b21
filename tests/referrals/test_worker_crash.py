"""A real db_worker is SIGKILLed in the middle of the green-channel escalation; after
recovery a new worker finishes it, and the coordinator is still alerted exactly once.

Two crash points, as for the follow-up reminders: before the job's transaction commits
(nothing delivered, the job must run again) and just after (delivered, but the queue row
still says RUNNING: the re-run must not deliver twice).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clinics.followups.models import Notification
from clinics.referrals import tasks
from clinics.referrals.models import Referral
from cloudhospital.core import jobs
from tests.conftest import ROOT
from tests.followups.test_worker_crash import _database_url

HARNESS = Path(__file__).with_name("crashing_worker.py")


def _worker(tmp_path, *args, harness: bool = False, **env):
    entry = [str(HARNESS)] if harness else [str(ROOT / "manage.py")]
    return subprocess.Popen(
        [sys.executable, *entry, "db_worker", "--queue-name", "*", "--no-reload",
         "--no-startup-delay", "--interval", "0.2", *args],
        cwd=ROOT, stdout=open(tmp_path / "worker.log", "a"), stderr=subprocess.STDOUT,  # noqa: SIM115
        env={**os.environ, "DATABASE_URL": _database_url(), **env})


@pytest.mark.parametrize("when", ["before_commit", "after_commit"])
def test_the_escalation_takes_effect_once_across_a_worker_crash(transactional_db, world,
                                                                up_at, tmp_path, when):
    urgent = up_at("requested", urgency="urgent")
    [row] = DBTaskResult.objects.filter(task_path=tasks.escalate_unanswered.module_path)
    DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())
    marker = tmp_path / "hanging"

    doomed = _worker(tmp_path, harness=True, REFERRAL_TEST_HANG_MARKER=str(marker),
                     REFERRAL_TEST_HANG_WHEN=when)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert doomed.poll() is None, (tmp_path / "worker.log").read_text()
        assert time.monotonic() < deadline, "the worker never reached the notification"
        time.sleep(0.05)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()

    row.refresh_from_db()
    assert row.status == "RUNNING"  # what django-tasks-db leaves behind
    delivered = Notification.objects.filter(kind="referral_escalation").count()
    assert delivered == (1 if when == "after_commit" else 0)

    assert jobs.recover_lost_jobs() == [str(row.pk)]
    survivor = _worker(tmp_path, "--batch")
    assert survivor.wait(timeout=60) == 0, (tmp_path / "worker.log").read_text()

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and len(row.worker_ids) == 2
    assert row.return_value == ("already sent" if when == "after_commit" else "sent")
    key = f"referral.escalate:{urgent.pk}:{world.carol.pk}"
    assert list(Notification.objects.values_list("dedupe_key", flat=True)) == [key]
    assert Referral.objects.get(pk=urgent.pk).escalated_at is not None
