"""Follow-up fixtures on top of the shared personas: alice follows pat up for I10."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone


@pytest.fixture
def fu(world):
    """pat has an I10 plan with alice at clinic_a and alice has open slots in coming days;
    oscar (centre B) has slots of his own that pat may not book."""
    from clinics.followups import booking
    from clinics.followups.models import Slot

    now = timezone.now().replace(second=0, microsecond=0)

    def slot(doctor, delta, clinic=None, minutes=15):
        start = now + delta
        return Slot.objects.create(doctor=doctor, clinic=clinic, start=start,
                                   end=start + dt.timedelta(minutes=minutes))

    plan = booking.create_plan(world.alice.user, world.pat, "I10", world.alice, world.clinic_a)
    ns = SimpleNamespace(
        plan=plan, now=now, slot=slot,
        tomorrow=slot(world.alice, dt.timedelta(days=1), world.clinic_a),
        in_two_days=slot(world.alice, dt.timedelta(days=2), world.clinic_a),
        in_three_days=slot(world.alice, dt.timedelta(days=3), world.clinic_a),
        soon=slot(world.alice, dt.timedelta(minutes=5), world.clinic_a),
        oscars=slot(world.oscar, dt.timedelta(days=1)),
    )
    return ns


def run_ready_jobs(*, ignore_run_after: bool = False) -> list:
    """Run queued jobs in this process, as db_worker would (claim, call, record).
    Returns the rows run. With ``ignore_run_after`` scheduled jobs run now too."""
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(status="READY")
    if not ignore_run_after:
        rows = rows.ready()
    done = []
    for row in rows.order_by("run_after", "enqueued_at"):
        row.claim("in-test-worker")
        try:
            value = row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        except Exception as exc:  # noqa: BLE001 - recorded on the row, as the worker does
            row.set_failed(exc)
        else:
            row.set_successful(value)
        done.append(row)
    return done


def jobs_of(task) -> list:
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(task_path=task.module_path).order_by("run_after"))
