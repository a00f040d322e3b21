"""The green channel: an urgent upward referral unanswered at its deadline is escalated
to the receiving coordinator by a job, exactly once, however often the job runs."""

import datetime as dt

from django.utils import timezone

from clinics.followups.models import Notification
from clinics.referrals import actions, tasks
from clinics.referrals.models import Referral
from tests.followups.conftest import jobs_of, run_ready_jobs


def test_sending_an_urgent_upward_referral_queues_the_deadline_check(world, up_at):
    urgent = up_at("requested", urgency="urgent")
    [row] = jobs_of(tasks.escalate_unanswered)
    assert row.run_after == urgent.answer_due_at
    assert row.args_kwargs["args"] == [str(urgent.pk), urgent.answer_due_at.isoformat()]
    up_at("requested")  # routine: no clock
    assert len(jobs_of(tasks.escalate_unanswered)) == 1


def test_the_deadline_check_does_not_run_before_the_deadline(world, up_at):
    up_at("requested", urgency="urgent")
    run_ready_jobs()
    assert not Notification.objects.filter(kind="referral_escalation").exists()


def test_an_unanswered_urgent_referral_alerts_the_coordinator_exactly_once(world, up_at):
    urgent = up_at("requested", urgency="urgent")
    run_ready_jobs(ignore_run_after=True)
    args = (str(urgent.pk), urgent.answer_due_at.isoformat())
    assert tasks.escalate_unanswered.call(*args) == "already sent"  # a retry: nothing new
    [alert] = Notification.objects.filter(kind="referral_escalation")
    assert alert.user == world.carol.user
    assert alert.data["referral_id"] == str(urgent.pk)
    assert alert.dedupe_key == f"referral.escalate:{urgent.pk}:{world.carol.pk}"
    assert Referral.objects.get(pk=urgent.pk).escalated_at is not None


def test_an_answered_or_cancelled_referral_is_not_escalated(world, up_at):
    accepted = up_at("requested", urgency="urgent")
    due = accepted.answer_due_at.isoformat()
    actions.accept(world.sam.user, accepted, appointment_at=timezone.now() + dt.timedelta(hours=1))
    cancelled = up_at("requested", urgency="urgent")
    actions.cancel(world.alice.user, cancelled, reason="went by ambulance")
    assert tasks.escalate_unanswered.call(str(accepted.pk), due) == "skipped"
    assert tasks.escalate_unanswered.call(str(cancelled.pk),
                                          cancelled.answer_due_at.isoformat()) == "skipped"
    assert not Notification.objects.filter(kind="referral_escalation").exists()


def test_every_coordinator_of_the_receiving_institution_is_alerted_once(world, up_at):
    from clinics.models import Role, Staff
    from tests.conftest import _user

    night = Staff.objects.create(user=_user("night"), institution=world.hospital,
                                 role=Role.COORDINATOR, real_name="Night")
    urgent = up_at("requested", urgency="urgent")
    run_ready_jobs(ignore_run_after=True)
    run_ready_jobs(ignore_run_after=True)
    users = sorted(Notification.objects.filter(kind="referral_escalation")
                   .values_list("user__username", flat=True))
    assert users == ["carol", "night"]
    assert night.user.followup_notifications.get().data["referral_id"] == str(urgent.pk)
