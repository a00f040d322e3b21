"""Downward referral: when the centre accepts, the patient's follow-up plan there is
created (or updated) from the hospital's instruction and in-person diagnosis, and the
patient can then book an online follow-up visit through the ordinary booking action."""

import datetime as dt

import pytest
from django.utils import timezone

from clinics.followups import booking
from clinics.followups.models import FollowUpPlan, Slot, VisitStatus
from clinics.referrals import actions
from cloudhospital.core.errors import InvalidInput


def _alice_slot(world, days=2):
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=days)
    return Slot.objects.create(doctor=world.alice, clinic=world.clinic_a, start=start,
                               end=start + dt.timedelta(minutes=15))


def test_downward_acceptance_creates_the_plan_and_the_patient_books(world, down_at):
    slot = _alice_slot(world)
    referral = down_at("requested")
    # Before the centre accepts there is no I25 plan: pat has nothing to book it against.
    assert not FollowUpPlan.objects.filter(patient=world.pat, condition="I25").exists()

    referral = actions.accept(world.alice.user, referral)
    plan = FollowUpPlan.objects.get(patient=world.pat, condition="I25", status="active")
    assert referral.followup_plan == plan
    assert plan.doctor == world.alice and plan.clinic == world.clinic_a
    assert plan.interval_days == 30
    diagnosis = plan.in_person_diagnosis()
    assert diagnosis.institution == world.hospital and diagnosis.icd10 == "I25.1"

    visit = booking.book_slot(world.pat.user, slot.pk)
    assert visit.plan == plan and visit.status == VisitStatus.BOOKED


def test_the_centres_doctor_sees_the_new_plan_in_her_referrals(world, down_at, client):
    down_at("accepted")
    client.force_login(world.alice.user)
    page = client.get("/referrals/").content.decode()
    assert "I25" in page


def test_downward_acceptance_updates_an_existing_plan(world, down_at):
    existing = booking.create_plan(world.oscar.user, world.pat, "I25", world.oscar,
                                   first_due=timezone.localdate() + dt.timedelta(days=200))
    referral = actions.accept(world.alice.user, down_at("requested"))
    existing.refresh_from_db()
    assert referral.followup_plan == existing
    assert existing.doctor == world.alice and existing.interval_days == 30
    assert existing.next_due_on == timezone.localdate() + dt.timedelta(days=30)
    assert existing.visits.get(status="due").doctor == world.alice
    assert FollowUpPlan.objects.filter(patient=world.pat, condition="I25").count() == 1


def test_a_coordinator_accepts_only_when_a_doctor_is_named(world, cora, down_at):
    with pytest.raises(InvalidInput):
        actions.accept(cora.user, down_at("requested"))
    named = down_at("requested", to_doctor=world.alice)
    accepted = actions.accept(cora.user, named)
    assert accepted.followup_plan.doctor == world.alice


@pytest.mark.parametrize("followup,field", [
    (None, "followup"),
    (actions.FollowUpInstruction("K35"), "followup"),  # appendicitis: not followed up online
    (actions.FollowUpInstruction("E11"), "followup"),  # not among the in-person diagnoses
    (actions.FollowUpInstruction("I25", 0), "followup"),
])
def test_a_downward_referral_needs_a_valid_follow_up_instruction(world, up_at, followup,
                                                                 field):
    from tests.referrals.conftest import down_details

    up_at("completed")
    with pytest.raises(InvalidInput) as refused:
        actions.create_referral(world.sam.user, down_details(world, followup=followup))
    assert refused.value.extra["field"] == field


def test_a_downward_referral_needs_a_discharge_summary_and_diagnoses(world, up_at):
    from tests.referrals.conftest import down_details

    up_at("completed")
    with pytest.raises(InvalidInput):
        actions.create_referral(world.sam.user, down_details(world, discharge_summary=""))
    with pytest.raises(InvalidInput):
        actions.create_referral(world.sam.user, down_details(world, diagnoses=[]))


def test_an_admission_is_not_a_way_to_accept_a_downward_referral(world, down_at):
    with pytest.raises(InvalidInput):
        actions.accept(world.alice.user, down_at("requested"),
                       admission=actions.Admission(ward="x"))
