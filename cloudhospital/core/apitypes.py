"""Field types the API's schemas share, so what is sent matches what the OpenAPI says.

- ``StrictBool``: a JSON boolean only. Pydantic's lax bool takes 0, 1, "yes", "off"...,
  while the document says ``boolean``; a consent given as ``0`` must be refused, not read.
- ``LocalTime``: a wall-clock time in the site's time zone (a clinic's weekly hours).
  OpenAPI ``format: time`` is RFC 3339 ``full-time``, which carries an offset, so it is sent
  as ``08:30:00+08:00``; received with an offset it is converted to the site's wall clock,
  and received without one it is taken as the site's wall clock (the database stores naive
  local times: Django refuses aware ones, which was a 500).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from django.conf import settings
from pydantic import AfterValidator, PlainSerializer, StrictBool, WithJsonSchema

__all__ = ["LocalTime", "LocalTimeIn", "StrictBool"]

# The offset of a time of day needs a date; the site's zone (Asia/Shanghai) has had one
# fixed offset since 1991, so any recent date gives it.
_REFERENCE_DAY = dt.date(2026, 1, 1)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _to_local_wall_clock(value: dt.time) -> dt.time:
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=None)
    moment = dt.datetime.combine(_REFERENCE_DAY, value)
    return moment.astimezone(_zone()).time().replace(tzinfo=None)


def _with_offset(value: dt.time) -> str:
    offset = dt.datetime.combine(_REFERENCE_DAY, dt.time(12), tzinfo=_zone()).strftime("%z")
    return f"{value.replace(tzinfo=None).isoformat()}{offset[:3]}:{offset[3:]}"


# Received: handlers get a naive wall-clock time (``payload.dict()`` keeps it a time).
LocalTimeIn = Annotated[dt.time, AfterValidator(_to_local_wall_clock),
                        WithJsonSchema({"type": "string", "format": "time"})]
# Sent: always with the site's offset.
LocalTime = Annotated[dt.time, AfterValidator(_to_local_wall_clock),
                      PlainSerializer(_with_offset, return_type=str),
                      WithJsonSchema({"type": "string", "format": "time"})]
