"""The follow-up rules in one readable place (each has its own test in tests/followups).

Defaults follow the grassroots chronic-disease management practice (基层慢病管理):
stable patients are followed up every 3 months; a visit whose readings are out of
target (blood pressure >= 140/90 mmHg, fasting glucose >= 7.0 mmol/L) brings the next
visit forward to 2 weeks until the readings are controlled again. Every number is a
setting (FOLLOWUP_* in cloudhospital/settings.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cloudhospital.core.errors import InvalidInput

# Conditions managed by online follow-up (ICD-10 categories).
CONDITIONS = {
    "I10": _("Essential hypertension"),
    "E11": _("Type 2 diabetes mellitus"),
    "I25": _("Chronic ischaemic heart disease"),
    "J44": _("Chronic obstructive pulmonary disease"),
}


def condition_code(icd10: str) -> str:
    """The ICD-10 category a code belongs to: "E11.9" -> "E11"."""
    return icd10.strip().upper().split(".")[0][:3]


def is_managed_condition(icd10: str) -> bool:
    return condition_code(icd10) in CONDITIONS


@dataclass(frozen=True)
class Readings:
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    glucose: Decimal | None = None
    weight: Decimal | None = None


# What a measurement can be (the API's schema says the same): anything else is a typo or
# an attack, refused before it is stored or compared (Decimal("NaN") >= 7 raised: a 500).
READING_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "systolic": (Decimal(50), Decimal(300)), "diastolic": (Decimal(20), Decimal(200)),
    "heart_rate": (Decimal(20), Decimal(250)), "glucose": (Decimal(0), Decimal(60)),
    "weight": (Decimal(1), Decimal(400)),
}


def check_readings(r: Readings) -> None:
    """InvalidInput for a reading that is not a finite number within its range."""
    for field, (low, high) in READING_RANGES.items():
        value = getattr(r, field)
        if value is None:
            continue
        number = Decimal(value)
        if not number.is_finite() or not low <= number <= high:
            raise InvalidInput(f"{field} must be between {low} and {high}", field=field)


def bp_out_of_target(r: Readings) -> bool:
    """Blood pressure >= 140/90 mmHg: either number at or above its limit."""
    return ((r.systolic is not None and r.systolic >= settings.FOLLOWUP_SYSTOLIC_LIMIT)
            or (r.diastolic is not None and r.diastolic >= settings.FOLLOWUP_DIASTOLIC_LIMIT))


def glucose_out_of_target(r: Readings) -> bool:
    """Fasting glucose >= 7.0 mmol/L."""
    return r.glucose is not None and Decimal(r.glucose) >= Decimal(settings.FOLLOWUP_GLUCOSE_LIMIT)


def out_of_target_reasons(r: Readings) -> list[str]:
    """Which targets the readings miss (empty when controlled or nothing was measured)."""
    reasons = []
    if bp_out_of_target(r):
        reasons.append("blood_pressure")
    if glucose_out_of_target(r):
        reasons.append("glucose")
    return reasons


def next_interval_days(out_of_target: bool, override: int | None = None) -> int:
    """Days to the next visit: a plan's own interval wins; else 2 weeks when out of target,
    3 months when stable."""
    if override:
        return override
    if out_of_target:
        return settings.FOLLOWUP_UNCONTROLLED_INTERVAL_DAYS
    return settings.FOLLOWUP_STABLE_INTERVAL_DAYS


def is_urgent(r: Readings | None) -> bool:
    """Hypertensive urgency (>= 180/110) or very high glucose (>= 16.7) at the last visit:
    the patient goes first in the waiting room."""
    if r is None:
        return False
    return ((r.systolic or 0) >= 180 or (r.diastolic or 0) >= 110
            or (r.glucose is not None and Decimal(r.glucose) >= Decimal("16.7")))


def _minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def may_book(start: dt.datetime, now: dt.datetime) -> bool:
    """A slot can be booked until FOLLOWUP_BOOKING_CUTOFF_MINUTES before it starts."""
    return start - now >= _minutes(settings.FOLLOWUP_BOOKING_CUTOFF_MINUTES)


def may_change(start: dt.datetime, now: dt.datetime) -> bool:
    """Reschedule and cancel are allowed until FOLLOWUP_CHANGE_CUTOFF_MINUTES before start."""
    return start - now >= _minutes(settings.FOLLOWUP_CHANGE_CUTOFF_MINUTES)


def check_in_window(start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Check-in opens 30 minutes before the slot and closes when the patient becomes a
    no-show (15 minutes after the start): later patients drop out."""
    return (start - _minutes(settings.FOLLOWUP_CHECKIN_OPEN_MINUTES),
            start + _minutes(settings.FOLLOWUP_NO_SHOW_MINUTES))


def no_show_at(start: dt.datetime) -> dt.datetime:
    """A booked patient who has not checked in by now is marked a no-show."""
    return start + _minutes(settings.FOLLOWUP_NO_SHOW_MINUTES)


def reminder_times(start: dt.datetime, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """(kind, when) for each reminder still worth sending: 24 h and 1 h before the start.

    A reminder whose time has passed is sent at once, unless a later (closer) one is also
    already due: booking 30 minutes ahead gives one "1h" reminder, not two.
    """
    planned = sorted(((f"{h}h", start - dt.timedelta(hours=h))
                      for h in settings.FOLLOWUP_REMINDER_HOURS), key=lambda kw: kw[1])
    due_now = [kw for kw in planned if kw[1] <= now]
    later = [kw for kw in planned if kw[1] > now]
    if start <= now:
        return []
    return ([due_now[-1]] if due_now else []) + later


def expected_wait_minutes(position: int, slot_start: dt.datetime, now: dt.datetime,
                          slot_minutes: int) -> int:
    """Expected wait: the people ahead of you each take about one slot, and nobody is seen
    before their own slot starts."""
    ahead = max(position - 1, 0) * slot_minutes
    until_slot = max((slot_start - now).total_seconds() / 60, 0)
    return int(round(max(ahead, until_slot)))
