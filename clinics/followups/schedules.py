"""Doctors' weekly templates and exceptions turned into bookable slots."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from clinics.access import staff_of
from clinics.followups import access
from clinics.followups.models import (
    HOLDING_STATUSES,
    ExceptionKind,
    ScheduleException,
    ScheduleTemplate,
    Slot,
)
from clinics.models import Staff
from cloudhospital.core.errors import InvalidInput, NotAllowed
from cloudhospital.security import audit

LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")


def _local(date: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(date, time, tzinfo=LOCAL)


def _blocks(start: dt.datetime, end: dt.datetime, minutes: int):
    step = dt.timedelta(minutes=minutes)
    while start + step <= end:
        yield start, start + step
        start += step


def slot_times_for_day(doctor: Staff, date: dt.date
                       ) -> list[tuple[dt.datetime, dt.datetime, int | None]]:
    """(start, end, clinic id) of every slot the doctor offers on ``date``."""
    exceptions = list(ScheduleException.objects.filter(doctor=doctor, date=date))
    closed = [e for e in exceptions if e.kind == ExceptionKind.CLOSED]
    if any(e.start_time is None for e in closed):
        return []
    closed_ranges = [(_local(date, e.start_time), _local(date, e.end_time or dt.time.max))
                     for e in closed]
    sources = [(t.start_time, t.end_time, t.slot_minutes, t.clinic_id)
               for t in ScheduleTemplate.objects.filter(doctor=doctor, weekday=date.weekday(),
                                                        active=True)]
    sources += [(e.start_time, e.end_time, e.slot_minutes, e.clinic_id)
                for e in exceptions if e.kind == ExceptionKind.EXTRA and e.start_time
                and e.end_time]
    times = []
    for start_time, end_time, minutes, clinic_id in sources:
        for start, end in _blocks(_local(date, start_time), _local(date, end_time), minutes):
            if not any(start < c_end and end > c_start for c_start, c_end in closed_ranges):
                times.append((start, end, clinic_id))
    # By time only: two sources for the same hours may be one with a clinic and one
    # without, and None does not compare with an id (found by the API fuzz, a 500).
    return sorted(times, key=lambda slot: (slot[0], slot[1]))


def publish_slots(doctor: Staff, days: int | None = None, today: dt.date | None = None) -> int:
    """Create the doctor's slots for the coming days; close unbooked slots an exception
    removed. Idempotent (slots are unique per doctor and start). Returns slots created."""
    days = days or settings.FOLLOWUP_SLOT_DAYS_AHEAD
    today = today or timezone.localdate(timezone=LOCAL)
    created = 0
    with transaction.atomic():
        for offset in range(days):
            date = today + dt.timedelta(days=offset)
            wanted = slot_times_for_day(doctor, date)
            starts = set()
            for start, end, clinic_id in wanted:
                starts.add(start)
                _, made = Slot.objects.get_or_create(
                    doctor=doctor, start=start,
                    defaults={"end": end, "clinic_id": clinic_id, "is_open": True})
                created += made
            day_start = _local(date, dt.time.min)
            stale = (Slot.objects.filter(doctor=doctor, start__gte=day_start,
                                         start__lt=day_start + dt.timedelta(days=1),
                                         is_open=True)
                     .exclude(start__in=starts)
                     .exclude(visits__status__in=HOLDING_STATUSES))
            stale.update(is_open=False)
            Slot.objects.filter(doctor=doctor, start__in=starts, is_open=False).update(
                is_open=True)
    return created


def _publisher(user) -> Staff:
    staff = staff_of(user)
    if staff is None or not staff.is_doctor or not staff.may_practise:
        raise NotAllowed(gettext(
            "only doctors with a verified licence publish follow-up schedules"))
    return staff


def _check_hours(start: dt.time | None, end: dt.time | None, slot_minutes: int) -> None:
    if any(t is not None and t.tzinfo is not None for t in (start, end)):
        raise InvalidInput(gettext(
            "give wall-clock times without a zone (Asia/Shanghai is implied)"))
    if (start is None) != (end is None):
        raise InvalidInput(gettext("give both start and end time, or neither for a whole day"))
    if start is not None and end <= start:
        raise InvalidInput(gettext("the end time must be after the start time"))
    if not 5 <= slot_minutes <= 120:
        raise InvalidInput(gettext("slots last between 5 and 120 minutes"))


def add_template(user, *, weekday: int, start_time: dt.time, end_time: dt.time,
                 slot_minutes: int = 15, clinic_id: int | None = None,
                 request=None) -> ScheduleTemplate:
    """A doctor adds weekly hours; the slots of the coming days appear at once."""
    doctor = _publisher(user)
    if not 0 <= weekday <= 6:
        raise InvalidInput(gettext("weekday is 0 (Monday) to 6 (Sunday)"), field="weekday")
    clinic = access.clinic_of(doctor, clinic_id)
    _check_hours(start_time, end_time, slot_minutes)
    with transaction.atomic():
        template = ScheduleTemplate.objects.create(
            doctor=doctor, weekday=weekday, start_time=start_time, end_time=end_time,
            slot_minutes=slot_minutes, clinic=clinic)
        publish_slots(doctor)
        audit.record(user, "followup.schedule.template", template, request=request)
    return template


def add_exception(user, *, date: dt.date, kind: str, start_time: dt.time | None = None,
                  end_time: dt.time | None = None, slot_minutes: int = 15,
                  clinic_id: int | None = None, reason: str = "",
                  request=None) -> ScheduleException:
    """A day off (whole day or hours) or extra hours; open slots follow at once. Slots
    already booked are kept: the booking stands until the patient moves it."""
    doctor = _publisher(user)
    if kind not in ExceptionKind.values:
        raise InvalidInput(gettext("kind is closed or extra"), field="kind")
    if kind == ExceptionKind.EXTRA and start_time is None:
        raise InvalidInput(gettext("extra hours need a start and an end time"))
    today = timezone.localdate(timezone=LOCAL)
    horizon = settings.FOLLOWUP_SCHEDULE_HORIZON_DAYS
    if not today <= date <= today + dt.timedelta(days=horizon):
        raise InvalidInput(
            gettext("the date must be from today to %(n)d days ahead") % {"n": horizon},
            field="date")
    clinic = access.clinic_of(doctor, clinic_id)
    _check_hours(start_time, end_time, slot_minutes)
    with transaction.atomic():
        exception = ScheduleException.objects.create(
            doctor=doctor, date=date, kind=kind, start_time=start_time, end_time=end_time,
            slot_minutes=slot_minutes, clinic=clinic, reason=reason.replace("\x00", "")[:200])
        publish_slots(doctor)
        audit.record(user, "followup.schedule.exception", exception, request=request)
    return exception
