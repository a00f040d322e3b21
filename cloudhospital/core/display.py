"""How people see times, conditions and sex: one format everywhere (pages, SMS, PDF).

Times are stored in UTC and shown in Asia/Shanghai (settings.TIME_ZONE) in the active
language's DATETIME_FORMAT: ``2026年12月2日 13:07`` in Chinese, never with seconds.
Conditions are shown by name with their ICD-10 code (``高血压 I10``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

# The chronic conditions the platform manages (follow-up plans, diagnoses), by ICD-10
# category. A code is matched by its longest known prefix (I10, E11.9 -> E11).
ICD10_NAMES = {
    "I10": _("Essential hypertension"),
    "I11": _("Hypertensive heart disease"),
    "I20": _("Angina pectoris"),
    "I25": _("Chronic ischaemic heart disease"),
    "I50": _("Heart failure"),
    "I63": _("Cerebral infarction"),
    "E10": _("Type 1 diabetes mellitus"),
    "E11": _("Type 2 diabetes mellitus"),
    "E14": _("Diabetes mellitus"),
    "E78": _("Hyperlipidaemia"),
    "J44": _("Chronic obstructive pulmonary disease"),
    "J45": _("Asthma"),
    "N18": _("Chronic kidney disease"),
    "K74": _("Liver cirrhosis"),
    "M81": _("Osteoporosis"),
}

SEX_LABELS = {"M": _("Male"), "F": _("Female"), "O": _("Other")}


def when(value: dt.datetime | dt.date | str | None, fmt: str | None = None) -> str:
    """A time as people read it: local time, the language's date format, minutes."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and "T" in value:  # an ISO time kept in JSON (proposed times)
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, dt.datetime):
        try:  # year 9999 in Asia/Shanghai, year 1 at +14:00: shown as stored, never a 500
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            return formats.date_format(local, fmt or "DATETIME_FORMAT")
        except (OverflowError, ValueError):
            return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return formats.date_format(value, fmt or "DATE_FORMAT")
    text = str(value)
    if len(text) == 8 and text.isdigit():  # a DICOM DA value, YYYYMMDD
        try:
            return formats.date_format(dt.date(int(text[:4]), int(text[4:6]), int(text[6:])),
                                       "DATE_FORMAT")
        except ValueError:
            return text
    return text


def condition_name(code: str | None) -> str:
    """``I10`` -> ``高血压 I10``; an unknown code is shown as it is."""
    code = (code or "").strip().upper()
    if not code:
        return ""
    key = code.split(".")[0][:3]
    name = ICD10_NAMES.get(key)
    return f"{name} {code}" if name else code


def sex_label(value: str | None) -> str:
    """DICOM and patient sex codes (M/F/O) as words."""
    label = SEX_LABELS.get((value or "").strip().upper()[:1])
    return str(label) if label else (value or "")
