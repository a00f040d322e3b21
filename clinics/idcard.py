"""Validation of the 18-digit resident identity card number (GB 11643-1999)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
PATTERN = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def validate_national_id(value: str) -> str:
    """Return the normalised number, or raise ValueError saying what is wrong."""
    number = (value or "").strip().upper()
    if not PATTERN.match(number):
        raise ValueError(gettext("national ID must be 17 digits followed by a digit or X"))
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise ValueError(gettext("national ID contains an impossible date of birth")) from exc
    if check_digit(number[:17]) != number[17]:
        raise ValueError(gettext("national ID check digit does not match"))
    return number


def make_national_id(region: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number (for demo data and tests): region 6 digits, sequence 3 digits."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
