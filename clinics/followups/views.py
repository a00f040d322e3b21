"""Follow-up pages for patients (book, check in, wait) and doctors (queue, call, record);
thin over booking.py and visits.py."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinics.access import patient_of, staff_of
from clinics.followups import access, booking, notify, queries, rules, visits
from clinics.followups.models import VisitStatus
from cloudhospital.core.errors import DomainError, InvalidInput
from cloudhospital.security import audit


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def home(request):
    """The patient's follow-up page; doctors go to their desk."""
    staff = staff_of(request.user)
    if staff is not None and staff.is_doctor:
        return redirect("followups:desk")
    patient = patient_of(request.user)
    if patient is None:
        return redirect("clinics:home")
    plans = [(p, p.in_person_diagnosis() is not None) for p in booking.active_plans(patient)]
    current = queries.current_visits(patient)
    positions = {v.pk: visits.position_of(v) for v in current}
    slots = list(booking.open_slots(patient)[:30])
    movable = next((v for v in current if v.status == VisitStatus.BOOKED), None)
    audit.record(request.user, "followup.home.read", object_type="followups.visit",
                 object_id="*", patient_id=patient.pk, request=request)
    return render(request, "followups/patient.html", {
        "patient": patient, "plans": plans, "current": [(v, positions[v.pk]) for v in current],
        "slots": slots, "movable": movable, "notifications": notify.unread(request.user, 10)})


def _act(request, fn, success: str, where: str = "followups:home"):
    try:
        fn()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(where)


@login_required
@require_POST
def book(request):
    return _act(request, lambda: booking.book_slot(
        request.user, _int(request.POST.get("slot_id")) or 0, request=request),
        _("Booked. You will be reminded before the visit."))


@login_required
@require_POST
def cancel(request, pk: int):
    return _act(request, lambda: booking.cancel(request.user, pk, request=request),
                _("Appointment cancelled."))


@login_required
@require_POST
def reschedule(request, pk: int):
    return _act(request, lambda: booking.reschedule(
        request.user, pk, _int(request.POST.get("slot_id")) or 0, request=request),
        _("Appointment moved."))


@login_required
@require_POST
def check_in(request, pk: int):
    return _act(request, lambda: visits.check_in(request.user, pk, request=request),
                _("Checked in. Please wait to be called."))


@login_required
def desk(request):
    """The doctor's waiting room: the queue, call next, and the visit being held."""
    try:
        doctor = access.require_doctor(request.user)
    except DomainError:
        return redirect("clinics:home")
    queue = visits.waiting_queue(doctor)
    current = queries.visits_in_consultation(doctor)
    audit.record(request.user, "followup.queue.read", object_type="followups.visit",
                 object_id="*", request=request, count=len(queue))
    return render(request, "followups/desk.html", {
        "doctor": doctor, "queue": queue, "current": current,
        "notifications": notify.unread(request.user, 10)})


@login_required
@require_POST
def call_next(request):
    try:
        visit = visits.call_next(request.user, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("followups:desk")
    if visit is None:
        messages.info(request, _("Nobody is waiting."))
    return redirect("followups:desk")


def _decimal(value: str) -> Decimal | None:
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise InvalidInput(_("Enter numbers for the readings.")) from exc


@login_required
@require_POST
def complete(request, pk: int):
    def run():
        data = request.POST
        readings = rules.Readings(
            systolic=_int(data.get("systolic")), diastolic=_int(data.get("diastolic")),
            heart_rate=_int(data.get("heart_rate")), glucose=_decimal(data.get("glucose")),
            weight=_decimal(data.get("weight")))
        visits.complete(request.user, pk, readings, data.get("note", "")[:2000],
                        request=request)

    return _act(request, run, _("Visit completed; the next one is being scheduled."),
                "followups:desk")
