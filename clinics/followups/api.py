"""JSON API for follow-up at /api/v1/followups/; thin over booking.py and visits.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext
from ninja import Router, Schema, Status
from pydantic import Field, StrictInt

from clinics.access import patient_of, visible_patients
from clinics.followups import access, booking, notify, queries, rules, schedules, visits
from clinics.followups.models import (
    Slot,
    Visit,
    VisitStatus,
)
from clinics.schemas import ErrorOut
from cloudhospital.core.apitypes import LocalTime, LocalTimeIn, StrictBool
from cloudhospital.core.errors import InvalidInput, NotAllowed, NotFound
from cloudhospital.security import audit

router = Router(tags=["follow-up"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}


class DoctorOut(Schema):
    id: int
    name: str
    title: str


class SlotOut(Schema):
    id: int
    start: dt.datetime
    end: dt.datetime
    doctor: DoctorOut
    clinic: str | None


class AppointmentOut(Schema):
    id: int
    status: str
    plan_id: int
    condition: str
    due_on: dt.date
    slot_id: int | None
    start: dt.datetime | None
    doctor: DoctorOut
    checked_in_at: dt.datetime | None
    urgent: bool
    room_url: str | None
    position: int | None = None
    expected_wait_minutes: int | None = None


class PlanOut(Schema):
    id: int
    condition: str
    doctor: DoctorOut
    clinic: str | None
    next_due_on: dt.date
    controlled: bool
    eligible_online: bool


class BookIn(Schema):
    slot_id: int
    plan_id: int | None = None


class RescheduleIn(Schema):
    slot_id: int


class CompleteIn(Schema):
    systolic: int | None = Field(None, ge=50, le=300)
    diastolic: int | None = Field(None, ge=20, le=200)
    heart_rate: int | None = Field(None, ge=20, le=250)
    glucose: Decimal | None = Field(None, ge=0, le=60, decimal_places=1)
    weight: Decimal | None = Field(None, ge=1, le=400, decimal_places=1)
    note: str = Field("", max_length=2000)


class QueueItemOut(Schema):
    visit_id: int
    patient: str
    condition: str
    start: dt.datetime
    checked_in_at: dt.datetime
    urgent: bool


class CalledOut(Schema):
    called: AppointmentOut | None
    room_url: str | None


class TemplateIn(Schema):
    weekday: StrictInt = Field(..., ge=0, le=6)  # not ``true`` for Tuesday
    start_time: LocalTimeIn
    end_time: LocalTimeIn
    slot_minutes: int = 15
    clinic_id: int | None = None


class TemplateOut(Schema):
    id: int
    weekday: int
    start_time: LocalTime
    end_time: LocalTime
    slot_minutes: int
    clinic_id: int | None


class ExceptionIn(Schema):
    date: dt.date
    kind: str = Field(..., pattern="^(closed|extra)$")
    start_time: LocalTimeIn | None = None
    end_time: LocalTimeIn | None = None
    slot_minutes: int = 15
    clinic_id: int | None = None
    reason: str = Field("", max_length=200)


class ExceptionOut(Schema):
    id: int
    date: dt.date
    kind: str
    start_time: LocalTime | None
    end_time: LocalTime | None
    reason: str


class ScheduleOut(Schema):
    templates: list[TemplateOut]
    exceptions: list[ExceptionOut]
    open_slots: int


class PlanIn(Schema):
    patient_id: int
    condition: str = Field(..., max_length=10)
    clinic_id: int | None = None
    interval_days: int | None = Field(None, ge=7, le=365)


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    data: dict
    created_at: dt.datetime


def _doctor(staff) -> dict:
    return {"id": staff.pk, "name": staff.real_name, "title": staff.title}


def slot_dict(slot: Slot) -> dict:
    return {"id": slot.pk, "start": slot.start, "end": slot.end, "doctor": _doctor(slot.doctor),
            "clinic": str(slot.clinic) if slot.clinic_id else None}


def appointment_dict(visit: Visit) -> dict:
    out = {"id": visit.pk, "status": visit.status, "plan_id": visit.plan_id,
           "condition": visit.plan.condition, "due_on": visit.due_on, "slot_id": visit.slot_id,
           "start": visit.slot.start if visit.slot_id else None, "doctor": _doctor(visit.doctor),
           "checked_in_at": visit.checked_in_at, "urgent": visit.urgent,
           "room_url": visit.room_url if visit.status == VisitStatus.IN_CONSULTATION else None}
    position = visits.position_of(visit)
    if position:
        out["position"] = position["position"]
        out["expected_wait_minutes"] = position["expected_wait_minutes"]
    return out


def _visit(request, visit_id: int) -> Visit:
    visit = access.visible_visits(request.user).filter(pk=visit_id).first()
    if visit is None:
        raise NotFound(gettext("no such appointment"))
    return visit


@router.get("/plans", response={200: list[PlanOut], **ERRORS})
def plans(request):
    patient = patient_of(request.user)
    if patient is None:
        raise NotAllowed(gettext("only patients have follow-up plans here"))
    items = list(booking.active_plans(patient))
    audit.record(request.user, "followup.plan.list", object_type="followups.followupplan",
                 object_id="*", patient_id=patient.pk, request=request, count=len(items))
    return [_plan_dict(p) for p in items]


def _plan_dict(p) -> dict:
    return {"id": p.pk, "condition": p.condition, "doctor": _doctor(p.doctor),
            "clinic": str(p.clinic) if p.clinic_id else None, "next_due_on": p.next_due_on,
            "controlled": p.controlled, "eligible_online": p.in_person_diagnosis() is not None}


@router.post("/plans", response={201: PlanOut, **ERRORS})
def create_plan(request, payload: PlanIn):
    """A doctor starts following up one of the patients they may see."""
    doctor = access.require_doctor(request.user)
    patient = visible_patients(request.user).filter(pk=payload.patient_id).first()
    if patient is None:
        raise InvalidInput(gettext("unknown patient"), field="patient_id")
    clinic = access.clinic_of(doctor, payload.clinic_id)
    plan = booking.create_plan(request.user, patient, payload.condition, doctor, clinic,
                               interval_days=payload.interval_days, request=request)
    return Status(201, _plan_dict(plan))


@router.get("/schedule", response={200: ScheduleOut, **ERRORS})
def schedule(request):
    """The calling doctor's weekly templates, exceptions to come, and open slots."""
    doctor = access.require_doctor(request.user)
    return queries.doctor_schedule(doctor)


@router.post("/schedule/templates", response={201: TemplateOut, **ERRORS})
def add_template(request, payload: TemplateIn):
    return Status(201, schedules.add_template(request.user, request=request, **payload.dict()))


@router.post("/schedule/exceptions", response={201: ExceptionOut, **ERRORS})
def add_exception(request, payload: ExceptionIn):
    return Status(201, schedules.add_exception(request.user, request=request,
                                               **payload.dict()))


@router.get("/slots", response={200: list[SlotOut], **ERRORS})
def slots(request, limit: int = 50):
    """Open slots the caller may book: of their responsible doctors or clinics."""
    patient = patient_of(request.user)
    if patient is None:
        raise NotAllowed(gettext("only patients book follow-up visits"))
    items = list(booking.open_slots(patient)[:max(1, min(limit, 200))])
    audit.record(request.user, "followup.slot.list", object_type="followups.slot",
                 object_id="*", patient_id=patient.pk, request=request, count=len(items))
    return [slot_dict(s) for s in items]


@router.get("/appointments", response={200: list[AppointmentOut], **ERRORS})
def appointments(request):
    items = list(access.visible_visits(request.user).exclude(status=VisitStatus.DUE)[:200])
    audit.record(request.user, "followup.visit.list", object_type="followups.visit",
                 object_id="*", request=request, count=len(items))
    return [appointment_dict(v) for v in items]


@router.post("/appointments", response={201: AppointmentOut, **ERRORS})
def book(request, payload: BookIn):
    visit = booking.book_slot(request.user, payload.slot_id, payload.plan_id, request=request)
    return Status(201, appointment_dict(visit))


@router.get("/appointments/{visit_id}", response={200: AppointmentOut, **ERRORS})
def appointment(request, visit_id: int):
    visit = _visit(request, visit_id)
    audit.record(request.user, "followup.visit.read", visit, request=request)
    return appointment_dict(visit)


@router.post("/appointments/{visit_id}/reschedule", response={200: AppointmentOut, **ERRORS})
def reschedule(request, visit_id: int, payload: RescheduleIn):
    return appointment_dict(booking.reschedule(request.user, visit_id, payload.slot_id,
                                               request=request))


@router.post("/appointments/{visit_id}/cancel", response={200: AppointmentOut, **ERRORS})
def cancel(request, visit_id: int):
    return appointment_dict(booking.cancel(request.user, visit_id, request=request))


@router.post("/appointments/{visit_id}/check-in", response={200: AppointmentOut, **ERRORS})
def check_in(request, visit_id: int):
    return appointment_dict(visits.check_in(request.user, visit_id, request=request))


@router.get("/queue", response={200: list[QueueItemOut], **ERRORS})
def queue(request):
    """The doctor's waiting room, in calling order."""
    doctor = access.require_doctor(request.user)
    items = visits.waiting_queue(doctor)
    audit.record(request.user, "followup.queue.read", object_type="followups.visit",
                 object_id="*", request=request, count=len(items))
    return visits.queue_event(doctor, items).payload()["queue"]


@router.post("/queue/call-next", response={200: CalledOut, **ERRORS})
def call_next(request):
    visit = visits.call_next(request.user, request=request)
    return {"called": appointment_dict(visit) if visit else None,
            "room_url": visit.room_url if visit else None}


class UrgentIn(Schema):
    urgent: StrictBool = True


@router.post("/queue/{visit_id}/urgent", response={200: AppointmentOut, **ERRORS})
def flag_urgent(request, visit_id: int, payload: UrgentIn):
    """The doctor moves a waiting patient to the front (or back) of the queue."""
    return appointment_dict(visits.set_urgent(request.user, visit_id, payload.urgent,
                                              request=request))


@router.post("/visits/{visit_id}/complete", response={200: AppointmentOut, **ERRORS})
def complete(request, visit_id: int, payload: CompleteIn):
    data = payload.dict()
    note = data.pop("note")
    visit = visits.complete(request.user, visit_id, rules.Readings(**data), note,
                            request=request)
    return appointment_dict(visit)


@router.get("/notifications", response={200: list[NotificationOut], **ERRORS})
def notifications(request):
    items = notify.unread(request.user)
    audit.record(request.user, "followup.notification.list",
                 object_type="followups.notification", object_id="*", request=request,
                 count=len(items), at=timezone.now().isoformat())
    return items
