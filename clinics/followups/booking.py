"""Plans, eligibility and booking: each step one function, checked and audited.

No slot is double-booked: the booking locks the slot row (SELECT ... FOR UPDATE on
PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE) and the partial unique
constraint ``one_live_visit_per_slot`` refuses a second live visit whatever the Python
code above it does.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from clinics.followups import access, rules, signals
from clinics.followups.models import (
    HOLDING_STATUSES,
    OPEN_STATUSES,
    FollowUpPlan,
    PlanStatus,
    Slot,
    Visit,
    VisitStatus,
)
from clinics.models import CloudClinic, Patient, Staff
from cloudhospital.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cloudhospital.security import audit


class SlotTaken(Conflict):
    code = "slot_taken"


class PastCutoff(Conflict):
    code = "past_cutoff"


class NotEligible(NotAllowed):
    code = "not_eligible"


class AlreadyBooked(Conflict):
    code = "already_booked"


def create_plan(actor, patient: Patient, condition: str, doctor: Staff,
                clinic: CloudClinic | None = None, *, first_due: dt.date | None = None,
                interval_days: int | None = None, request=None) -> FollowUpPlan:
    """Start following ``patient`` up for ``condition``, with its first visit due."""
    code = rules.condition_code(condition)
    if not rules.is_managed_condition(code):
        raise InvalidInput(gettext("%(condition)s is not a condition managed by follow-up") %
                                   {"condition": condition},
                           field="condition")
    if not doctor.is_doctor:
        raise InvalidInput(gettext("the responsible person must be a doctor"), field="doctor")
    with transaction.atomic():
        if FollowUpPlan.objects.filter(patient=patient, condition=code,
                                       status=PlanStatus.ACTIVE).exists():
            raise Conflict(gettext("%(patient)s already has an active plan for %(code)s") %
                {"patient": patient, "code": code})
        plan = FollowUpPlan.objects.create(
            patient=patient, condition=code, doctor=doctor, clinic=clinic,
            interval_days=interval_days, next_due_on=first_due or timezone.localdate())
        ensure_due_visit(plan)
        audit.record(actor, "followup.plan.create", plan, request=request, condition=code)
    return plan


def ensure_due_visit(plan: FollowUpPlan) -> Visit:
    """The plan's open visit, creating a "due" one if there is none (idempotent: the
    ``one_open_visit_per_plan`` constraint makes a concurrent second create fail)."""
    existing = plan.visits.filter(status__in=OPEN_STATUSES).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Visit.objects.create(plan=plan, patient_id=plan.patient_id,
                                        doctor_id=plan.doctor_id, due_on=plan.next_due_on)
    except IntegrityError:
        return plan.visits.get(status__in=OPEN_STATUSES)


def check_eligible(plan: FollowUpPlan) -> None:
    """Online visits are follow-ups only: the condition must have been diagnosed in
    person at an institution."""
    if plan.status != PlanStatus.ACTIVE:
        raise NotEligible(gettext("this follow-up plan has ended"))
    if plan.in_person_diagnosis() is None:
        raise NotEligible(
            gettext("%(condition)s has not been diagnosed in person at an institution: a "
                    "first visit must be in person; online visits are for follow-up only")
            % {"condition": plan.condition},
            condition=plan.condition)


def active_plans(patient: Patient) -> QuerySet[FollowUpPlan]:
    return FollowUpPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).select_related(
        "doctor", "clinic")


def _live_visit_on(slot_ref) -> Exists:
    return Exists(Visit.objects.filter(slot=slot_ref, status__in=HOLDING_STATUSES))


def open_slots(patient: Patient, now: dt.datetime | None = None) -> QuerySet[Slot]:
    """Open, unheld slots, beyond the booking cut-off, of the patient's responsible
    doctors or clinics (for plans whose condition makes online follow-up allowed)."""
    now = now or timezone.now()
    doctors, clinics = [], []
    for plan in active_plans(patient):
        if plan.in_person_diagnosis() is None:
            continue
        doctors.append(plan.doctor_id)
        if plan.clinic_id:
            clinics.append(plan.clinic_id)
    if not doctors:
        return Slot.objects.none()
    cutoff = now + dt.timedelta(minutes=settings.FOLLOWUP_BOOKING_CUTOFF_MINUTES)
    return (Slot.objects.filter(Q(doctor__in=doctors) | Q(clinic__in=clinics),
                                is_open=True, start__gte=cutoff)
            .exclude(_live_visit_on(OuterRef("pk")))
            .select_related("doctor", "clinic").order_by("start"))


def _plan_for_slot(patient: Patient, slot: Slot, plan_id: int | None) -> FollowUpPlan:
    plans = [p for p in active_plans(patient)
             if p.doctor_id == slot.doctor_id or (p.clinic_id and p.clinic_id == slot.clinic_id)]
    if plan_id is not None:
        plans = [p for p in plans if p.pk == plan_id]
    if not plans:
        raise NotEligible(gettext("you have no follow-up plan with this doctor or clinic: a first "
                          "visit must be in person"))
    for plan in plans:  # prefer a plan that may be booked and is waiting for a booking
        if plan.in_person_diagnosis() is not None and not plan.visits.filter(
                status__in=HOLDING_STATUSES[:3]).exists():
            return plan
    return plans[0]


def _lock_slot(slot_id: int) -> Slot:
    slot = Slot.objects.select_for_update().filter(pk=slot_id).first()
    if slot is None:
        raise NotFound(gettext("no such slot"))
    return slot


def _take(visit: Visit, slot: Slot, now: dt.datetime) -> None:
    """Put ``visit`` on ``slot`` (the cut-off was checked, with its own error, before);
    ``Slot.is_bookable`` is the rule, the database has the last word on double booking."""
    if not slot.is_bookable(now):
        raise SlotTaken(gettext("this slot has just been taken; choose another"), slot_id=slot.pk)
    visit.slot, visit.status, visit.booked_at = slot, VisitStatus.BOOKED, now
    visit.doctor_id = slot.doctor_id
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError as exc:
        raise SlotTaken(gettext("this slot has just been taken; choose another"),
                        slot_id=slot.pk) from exc


def book_slot(user, slot_id: int, plan_id: int | None = None, *, request=None,
              now: dt.datetime | None = None) -> Visit:
    """Book ``slot_id`` for the calling patient's follow-up plan with that doctor/clinic."""
    patient = access.patient_for(user)
    now = now or timezone.now()
    with transaction.atomic():
        slot = _lock_slot(slot_id)
        plan = _plan_for_slot(patient, slot, plan_id)
        check_eligible(plan)
        if not rules.may_book(slot.start, now):
            raise PastCutoff(gettext("this slot starts too soon to be booked"), slot_id=slot.pk)
        visit = ensure_due_visit(plan)
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        if visit.status != VisitStatus.DUE:
            raise AlreadyBooked(gettext("you already have a booked visit for this condition; "
                                "reschedule it instead"), appointment_id=visit.pk)
        _take(visit, slot, now)
        signals.visit_booked.send(sender=Visit, visit=visit, now=now)
        audit.record(user, "followup.visit.book", visit, request=request, slot_id=slot.pk)
    return visit


def reschedule(user, visit_id: int, slot_id: int, *, request=None,
               now: dt.datetime | None = None) -> Visit:
    """Move a booked visit to another slot, until the change cut-off of the old one."""
    now = now or timezone.now()
    with transaction.atomic():
        visit = access.own_visit(user, visit_id)
        if visit.status != VisitStatus.BOOKED:
            raise Conflict(gettext("only a booked appointment can be rescheduled"))
        if not rules.may_change(visit.slot.start, now):
            raise PastCutoff(gettext("too close to the appointment to reschedule it"))
        slot = _lock_slot(slot_id)
        if slot.doctor_id != visit.plan.doctor_id and not (
                visit.plan.clinic_id and slot.clinic_id == visit.plan.clinic_id):
            raise NotEligible(gettext("this slot is not with your responsible doctor or clinic"))
        if not rules.may_book(slot.start, now):
            raise PastCutoff(gettext("this slot starts too soon to be booked"), slot_id=slot.pk)
        old_slot = visit.slot_id
        _take(visit, slot, now)
        signals.visit_booked.send(sender=Visit, visit=visit, now=now)
        audit.record(user, "followup.visit.reschedule", visit, request=request,
                     from_slot=old_slot, to_slot=slot.pk)
    return visit


def cancel(user, visit_id: int, *, request=None, now: dt.datetime | None = None) -> Visit:
    """Cancel a booked visit until the cut-off; the plan gets a new due visit to book."""
    now = now or timezone.now()
    with transaction.atomic():
        visit = access.own_visit(user, visit_id)
        if visit.status != VisitStatus.BOOKED:
            raise Conflict(gettext("only a booked appointment can be cancelled"))
        if not rules.may_change(visit.slot.start, now):
            raise PastCutoff(gettext("too close to the appointment to cancel it"))
        visit.status, visit.cancelled_at = VisitStatus.CANCELLED, now
        visit.save(update_fields=["status", "cancelled_at"])
        ensure_due_visit(visit.plan)
        audit.record(user, "followup.visit.cancel", visit, request=request)
    return visit
