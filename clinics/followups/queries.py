"""Read-only follow-up queries the API and the pages show (they run no ORM themselves)."""

from __future__ import annotations

from django.utils import timezone

from clinics.followups.models import ScheduleException, ScheduleTemplate, Slot, Visit, VisitStatus
from clinics.models import Patient, Staff

CURRENT = [VisitStatus.BOOKED, VisitStatus.CHECKED_IN, VisitStatus.IN_CONSULTATION]


def doctor_schedule(doctor: Staff) -> dict:
    """The doctor's active weekly templates, exceptions to come, and open slots ahead."""
    return {"templates": list(ScheduleTemplate.objects.filter(doctor=doctor, active=True)),
            "exceptions": list(ScheduleException.objects.filter(
                doctor=doctor, date__gte=timezone.localdate())),
            "open_slots": Slot.objects.filter(doctor=doctor, is_open=True,
                                              start__gte=timezone.now()).count()}


def current_visits(patient: Patient) -> list[Visit]:
    """The patient's booked, checked-in and running visits, soonest first."""
    return list(Visit.objects.filter(patient=patient, status__in=CURRENT)
                .select_related("slot", "doctor", "plan").order_by("slot__start"))


def visits_in_consultation(doctor: Staff) -> list[Visit]:
    return list(Visit.objects.filter(doctor=doctor, status=VisitStatus.IN_CONSULTATION)
                .select_related("patient", "plan", "slot"))
