"""DICOM values as people read them: names without ``^``, 男/女/其他, 2026年12月2日, 07:27.

One place for the identity line (name, sex, age, last four characters of the ID) so the
viewer, the room and the consultation pages show a patient the same way.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _


def person_name(value: object) -> str:
    """``SUN^JIANHUA`` → ``SUN JIANHUA``; the ideographic group (``=孙建华``) wins if present."""
    text = str(value or "").strip()
    groups = [g for g in text.split("=") if g.strip("^ ")]
    chosen = groups[1] if len(groups) > 1 else (groups[0] if groups else "")
    parts = [p.strip() for p in chosen.split("^") if p.strip()]
    # Chinese names carry no space between family and given names.
    if parts and all(ord(ch) > 0x2E80 for ch in "".join(parts)):
        return "".join(parts)
    return " ".join(parts)


def sex_label(value: object) -> str:
    code = str(value or "").strip().upper()[:1]
    return {"M": _("男"), "F": _("女"), "O": _("其他")}.get(code, "—")


def parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip().replace("-", "").replace(".", "")
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def date_label(value: object) -> str:
    day = parse_date(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def time_label(value: object) -> str:
    """``072730.123`` or ``0727`` → ``07:27``."""
    text = str(value or "").strip().replace(":", "")
    if len(text) < 4 or not text[:4].isdigit():
        return ""
    return f"{text[:2]}:{text[2:4]}"


def age_label(birth: object, on: dt.date | None = None) -> str:
    born = parse_date(birth)
    if born is None:
        return ""
    today = on or timezone.localdate()
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return _("%(years)d岁") % {"years": years} if years >= 0 else ""


def id_tail(value: object) -> str:
    text = str(value or "").strip()
    return "…" + text[-4:] if text else "—"


def identity(name: object, sex: object, birth: object, patient_id: object) -> dict:
    """The identity line shown everywhere: name, 男/女, age, last 4 of the ID."""
    return {"name": person_name(name) or "—", "sex": sex_label(sex), "age": age_label(birth),
            "birth_date": date_label(birth), "id_tail": id_tail(patient_id)}
