"""Eligibility, booking, rescheduling and cancelling, through the core and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from clinics.followups import booking
from clinics.followups.models import Visit, VisitStatus
from clinics.models import Diagnosis
from cloudhospital.security.models import AuditEntry


def test_a_patient_diagnosed_in_person_books_an_open_slot(world, fu):
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    assert visit.status == VisitStatus.BOOKED and visit.slot == fu.tomorrow
    assert visit.plan == fu.plan
    assert AuditEntry.objects.filter(action="followup.visit.book", patient_id=world.pat.pk
                                     ).exists()


def test_an_undiagnosed_condition_is_refused_first_visit_in_person(world, fu):
    plan = booking.create_plan(world.alice.user, world.quinn, "I10", world.alice,
                               world.clinic_a)
    with pytest.raises(booking.NotEligible) as refused:
        booking.book_slot(world.quinn.user, fu.tomorrow.pk)
    assert "面诊" in refused.value.message
    assert plan.visits.get().status == VisitStatus.DUE


def test_a_diagnosis_not_made_in_person_is_refused(world, fu):
    Diagnosis.objects.create(patient=world.quinn, icd10="E11.9", name="T2DM",
                             diagnosed_on=dt.date(2024, 1, 1), institution=world.centre_b,
                             in_person=False)
    booking.create_plan(world.alice.user, world.quinn, "E11", world.alice)
    with pytest.raises(booking.NotEligible):
        booking.book_slot(world.quinn.user, fu.tomorrow.pk)


def test_a_diagnosed_subcode_counts_for_its_condition(world, fu):
    Diagnosis.objects.create(patient=world.quinn, icd10="E11.9", name="T2DM",
                             diagnosed_on=dt.date(2024, 1, 1), institution=world.centre_b)
    booking.create_plan(world.alice.user, world.quinn, "E11", world.alice)
    assert booking.book_slot(world.quinn.user, fu.tomorrow.pk).status == VisitStatus.BOOKED


def test_a_patient_without_a_plan_with_that_doctor_is_refused(world, fu):
    with pytest.raises(booking.NotEligible):
        booking.book_slot(world.pat.user, fu.oscars.pk)


def test_a_taken_slot_is_refused_with_slot_taken(world, fu):
    Diagnosis.objects.create(patient=world.quinn, icd10="I10", name="HTN",
                             diagnosed_on=dt.date(2024, 1, 1), institution=world.centre_b)
    booking.create_plan(world.alice.user, world.quinn, "I10", world.alice)
    booking.book_slot(world.pat.user, fu.tomorrow.pk)
    with pytest.raises(booking.SlotTaken):
        booking.book_slot(world.quinn.user, fu.tomorrow.pk)


def test_the_database_refuses_a_second_live_visit_on_a_slot(world, fu):
    """The constraint holds even when the Python checks are bypassed."""
    booking.book_slot(world.pat.user, fu.tomorrow.pk)
    other = booking.create_plan(world.alice.user, world.quinn, "I10", world.alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(plan=other).update(slot=fu.tomorrow, status=VisitStatus.BOOKED)


def test_a_cancelled_visit_frees_its_slot_in_the_database(world, fu):
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    booking.cancel(world.pat.user, visit.pk)
    assert booking.book_slot(world.pat.user, fu.tomorrow.pk).status == VisitStatus.BOOKED


def test_booking_past_the_cutoff_is_refused(world, fu):
    with pytest.raises(booking.PastCutoff):
        booking.book_slot(world.pat.user, fu.soon.pk)


def test_one_booked_visit_per_plan(world, fu):
    booking.book_slot(world.pat.user, fu.tomorrow.pk)
    with pytest.raises(booking.AlreadyBooked):
        booking.book_slot(world.pat.user, fu.in_two_days.pk)


def test_reschedule_moves_the_visit_and_frees_the_old_slot(world, fu):
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    moved = booking.reschedule(world.pat.user, visit.pk, fu.in_two_days.pk)
    assert moved.slot == fu.in_two_days
    assert fu.tomorrow in booking.open_slots(world.pat)
    assert fu.in_two_days not in booking.open_slots(world.pat)


def test_reschedule_and_cancel_past_the_cutoff_are_refused(world, fu, settings):
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    settings.FOLLOWUP_CHANGE_CUTOFF_MINUTES = 2 * 24 * 60
    with pytest.raises(booking.PastCutoff):
        booking.reschedule(world.pat.user, visit.pk, fu.in_three_days.pk)
    with pytest.raises(booking.PastCutoff):
        booking.cancel(world.pat.user, visit.pk)
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.BOOKED


def test_cancel_leaves_a_due_visit_to_book_again(world, fu):
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    booking.cancel(world.pat.user, visit.pk)
    statuses = sorted(fu.plan.visits.values_list("status", flat=True))
    assert statuses == ["cancelled", "due"]


def test_others_cannot_touch_a_patients_appointment(world, fu):
    visit = booking.book_slot(world.pat.user, fu.tomorrow.pk)
    with pytest.raises(booking.NotFound):
        booking.cancel(world.quinn.user, visit.pk)
    with pytest.raises(booking.NotAllowed):
        booking.book_slot(world.alice.user, fu.in_two_days.pk)


def test_open_slots_are_the_responsible_doctors_free_future_slots(world, fu):
    slots = list(booking.open_slots(world.pat))
    assert slots == [fu.tomorrow, fu.in_two_days, fu.in_three_days]
    booking.book_slot(world.pat.user, fu.tomorrow.pk)
    assert fu.tomorrow not in booking.open_slots(world.pat)
    assert list(booking.open_slots(world.quinn)) == []  # no in-person diagnosis, no plan


def test_open_slots_include_the_responsible_clinics_other_doctors(world, fu):
    colleague_slot = fu.slot(world.dora, dt.timedelta(days=4), world.clinic_a)
    assert colleague_slot in booking.open_slots(world.pat)
    visit = booking.book_slot(world.pat.user, colleague_slot.pk)
    assert visit.doctor == world.dora
