"""``{{ value|when }}``: a time for people (Asia/Shanghai), and never a crash.

A stored time near the ends of the calendar (9999-12-31 23:59 UTC is in year 10000 in
Shanghai) overflows Django's conversion to local time, which turned every page listing the
row into a 500 for everyone. Validation now keeps such times out; this keeps the pages up
for rows written before it, by hand or by another program: the value is shown as stored
(UTC) when it cannot be converted, and a string that is not a time is shown as it is.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter(expects_localtime=False)
def when(value: object, fmt: str = "DATETIME_FORMAT") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if not isinstance(value, dt.datetime):
        return str(value)
    try:
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(local, fmt)
    except (OverflowError, ValueError):
        return value.isoformat(sep=" ")
