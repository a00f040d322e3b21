"""The prescription jobs: the approval notice (in-app + SMS) and the refill reminder a
few days before the supply runs out, each delivered once however often it runs."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from clinics.followups.models import Notification, SmsMessage
from clinics.prescriptions import actions, tasks
from clinics.prescriptions.models import Prescription
from tests.followups.conftest import jobs_of
from tests.prescriptions.conftest import approved


def test_approval_tells_the_patient_in_app_and_by_sms_once(world, rx):
    done = approved(world, rx)
    [job] = jobs_of(tasks.notify_approved)
    assert job.args_kwargs["args"] == [str(done.pk)]
    assert tasks.notify_approved.call(str(done.pk)) == "sent"
    assert tasks.notify_approved.call(str(done.pk)) == "already sent"
    note = Notification.objects.get(kind="prescription_approved")
    assert note.user == world.pat.user and note.data == {"prescription_id": str(done.pk)}
    assert SmsMessage.objects.get().dedupe_key == f"rx-approved:{done.pk}"


def test_approval_queues_a_refill_reminder_three_days_before_the_supply_ends(world, rx):
    done = approved(world, rx)
    [job] = jobs_of(tasks.send_refill_reminder)
    assert done.supply_end == done.supply_start + dt.timedelta(days=27)
    assert job.queue_name == "reminders"
    assert job.args_kwargs["args"] == [str(done.pk), done.supply_end.isoformat()]
    local = timezone.localtime(job.run_after)
    assert local.date() == done.supply_end - dt.timedelta(days=3) and local.hour == 9


def test_the_refill_reminder_is_delivered_once(world, rx):
    done = approved(world, rx)
    args = (str(done.pk), done.supply_end.isoformat())
    assert tasks.send_refill_reminder.call(*args) == "sent"
    assert tasks.send_refill_reminder.call(*args) == "already sent"
    [note] = Notification.objects.filter(kind="refill_reminder")
    assert note.dedupe_key == f"rx-refill:{done.pk}:{done.supply_end.isoformat()}"
    assert SmsMessage.objects.filter(dedupe_key=note.dedupe_key).count() == 1


def test_a_declined_renewal_request_does_not_silence_the_reminder(world, rx):
    done = approved(world, rx)
    req = actions.request_renewal(world.pat.user, done)
    actions.decline_renewal(world.alice.user, req.pk, reason="请来门诊")
    assert tasks.send_refill_reminder.call(str(done.pk), done.supply_end.isoformat()) == "sent"


def test_no_reminder_for_a_revoked_or_renewed_prescription(world, rx):
    done = approved(world, rx)
    args = (str(done.pk), done.supply_end.isoformat())
    actions.request_renewal(world.pat.user, done)
    assert tasks.send_refill_reminder.call(*args) == "renewed"
    actions.revoke(world.alice.user, Prescription.objects.get(pk=done.pk), reason="停药")
    assert tasks.send_refill_reminder.call(*args) == "skipped"
    assert not Notification.objects.filter(kind="refill_reminder").exists()


def test_dispensing_later_moves_the_reminder_and_the_old_one_does_nothing(world, rx):
    done = approved(world, rx)
    old_end = done.supply_end.isoformat()
    later = timezone.now() + dt.timedelta(days=2)
    dispensed = actions.dispense(rx.phil.user, done, now=later)
    assert dispensed.supply_end.isoformat() != old_end
    assert tasks.send_refill_reminder.call(str(done.pk), old_end) == "skipped"
    assert tasks.send_refill_reminder.call(str(done.pk),
                                           dispensed.supply_end.isoformat()) == "sent"


def test_days_of_supply_left_count_down_to_zero(world, rx):
    done = approved(world, rx)
    start = done.supply_start
    assert done.days_left(start) == 28
    assert done.days_left(start + dt.timedelta(days=27)) == 1
    assert done.days_left(start + dt.timedelta(days=40)) == 0
