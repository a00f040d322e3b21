"""The page everyone lands on after logging in: per role, counts and the next action.

Each workflow contributes panels (``register_panel`` from its AppConfig.ready), so this
shared module imports no workflow and a workflow merged later adds its own counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from clinics.access import patient_of, staff_of


@dataclass
class Tile:
    label: str
    count: int | None
    url: str
    urgent: bool = False


@dataclass
class Panel:
    title: str
    tiles: list[Tile] = field(default_factory=list)
    next_label: str = ""
    next_url: str = ""
    order: int = 50


# A panel source gets the user, their role ("clinic_doctor", "specialist", "coordinator",
# "patient") and the person (Staff or Patient); it answers None when it has nothing.
PanelSource = Callable[[Any, str, Any], Panel | None]
_PANELS: dict[str, PanelSource] = {}


def register_panel(name: str, source: PanelSource) -> None:
    """Let a workflow add its panel to the workbench (idempotent by name)."""
    _PANELS[name] = source


def today_bounds() -> tuple[dt.datetime, dt.datetime]:
    """Today in the people's time zone (Asia/Shanghai), as aware start and end."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def panels_for(user) -> tuple[str, object, list[Panel]]:
    staff = staff_of(user)
    person: object
    if staff is not None:
        role, person = staff.role, staff
    else:
        patient = patient_of(user)
        if patient is None:
            return "", None, []
        role, person = "patient", patient
    found = [p for source in _PANELS.values() if (p := source(user, role, person)) is not None]
    return role, person, sorted(found, key=lambda p: p.order)
