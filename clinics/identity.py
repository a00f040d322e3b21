"""How a patient is shown everywhere: name, 男/女, age, the last four characters of an ID.

One formatter for the registry patient (``Patient``) and for the patient a DICOM study
names (imaging decodes the DICOM values and calls the same functions), so a clinic doctor
comparing the two sees them in the same shape.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _


def sex_label(value: object) -> str:
    code = str(value or "").strip().upper()[:1]
    return {"M": _("男"), "F": _("女"), "O": _("其他")}.get(code, "—")


def age_label(born: dt.date | None, on: dt.date | None = None) -> str:
    if born is None:
        return ""
    today = on or timezone.localdate()
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return _("%(years)d岁") % {"years": years} if years >= 0 else ""


def date_label(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def id_tail(value: object) -> str:
    text = str(value or "").strip()
    return "…" + text[-4:] if text else "—"


def identity(name: str, sex: object, born: dt.date | None, id_text: object) -> dict:
    return {"name": name or "—", "sex": sex_label(sex), "age": age_label(born),
            "birth_date": date_label(born), "id_tail": id_tail(id_text)}


def patient_identity(patient) -> dict:
    """The registry patient's identity line (national ID: last four only)."""
    return identity(patient.name, patient.sex, patient.date_of_birth, patient.national_id)


def line(ident: dict) -> str:
    return " ".join(v for v in (ident["name"], ident["sex"], ident["age"],
                                "ID " + ident["id_tail"]) if v)
