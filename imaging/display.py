"""DICOM values as people read them: names without ``^``, 男/女/其他, 2026年12月2日, 07:27.

One place for the identity line (name, sex, age, last four characters of the ID) so the
viewer, the room and the consultation pages show a patient the same way.
"""

from __future__ import annotations

import datetime as dt

from clinics import identity as identity_rules


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
    return identity_rules.date_label(parse_date(value))


def time_label(value: object) -> str:
    """``072730.123`` or ``0727`` → ``07:27``."""
    text = str(value or "").strip().replace(":", "")
    if len(text) < 4 or not text[:4].isdigit():
        return ""
    return f"{text[:2]}:{text[2:4]}"


def identity(name: object, sex: object, birth: object, patient_id: object) -> dict:
    """The identity line shown everywhere (clinics.identity), from DICOM values."""
    return identity_rules.identity(person_name(name), sex, parse_date(birth), patient_id)
