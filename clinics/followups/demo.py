"""Demo follow-up data: the demo patient's hypertension plan with clinic_doctor, the
doctor's weekly schedule, and a few slots starting soon so ``make run`` can show a
booking, a reminder, check-in and the call within minutes. Idempotent.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from clinics.followups import booking, schedules, tasks
from clinics.followups.models import (
    ExceptionKind,
    FollowUpPlan,
    PlanStatus,
    ScheduleException,
    ScheduleTemplate,
)
from clinics.models import CloudClinic, Patient, Staff

WEEKLY = [(dt.time(8, 30), dt.time(11, 30)), (dt.time(14, 0), dt.time(16, 30))]


def seed_demo(password: str) -> bool:
    """Called by cloudhospital/core/demo.py after the people exist; adds no accounts."""
    seed_followups()
    return False


def seed_followups() -> dict:
    doctor = Staff.objects.filter(user__username="clinic_doctor").first()
    patient = Patient.objects.filter(user__username="patient").first()
    if doctor is None or patient is None:
        return {}
    clinic = CloudClinic.objects.filter(institution=doctor.institution).first()
    with transaction.atomic():
        for weekday in range(5):
            for start, end in WEEKLY:
                ScheduleTemplate.objects.get_or_create(
                    doctor=doctor, weekday=weekday, start_time=start, end_time=end,
                    defaults={"clinic": clinic, "slot_minutes": 15})
        _soon(doctor, clinic)
        plans = []
        others = Patient.objects.filter(home_institution=doctor.institution).exclude(
            pk=patient.pk).prefetch_related("diagnoses")[:2]
        for person in [patient, *others]:
            for diagnosis in person.diagnoses.all():
                code = diagnosis.icd10[:3]
                plan = FollowUpPlan.objects.filter(patient=person, condition=code,
                                                   status=PlanStatus.ACTIVE).first()
                if plan is None:
                    plan = booking.create_plan("seed_demo", person, code, doctor, clinic,
                                               first_due=timezone.localdate())
                plans.append(plan)
        created = schedules.publish_slots(doctor)
        tasks.start_periodic_jobs()
    return {"plans": len(plans), "slots_created": created}


def _soon(doctor: Staff, clinic) -> None:
    """Extra hours starting about 20 minutes from now (today, local time)."""
    now = timezone.localtime(timezone.now(), schedules.LOCAL)
    start = (now + dt.timedelta(minutes=20)).replace(second=0, microsecond=0)
    start -= dt.timedelta(minutes=start.minute % 5)
    end = min(start + dt.timedelta(hours=1),
              start.replace(hour=23, minute=55))
    if start.date() != now.date() or end <= start:
        return
    ScheduleException.objects.get_or_create(
        doctor=doctor, date=start.date(), kind=ExceptionKind.EXTRA,
        start_time=start.time(), defaults={"end_time": end.time(), "clinic": clinic,
                                           "slot_minutes": 15, "reason": "demo"})
