"""The consultation panel of the workbench: what waits for this person, with counts."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from clinics.access import User
from clinics.consultations.access import visible_consultations
from clinics.consultations.models import Status
from clinics.workbench import Panel, Tile, today_bounds


def _list(status: str = "") -> str:
    url = reverse("consultations:consultation_list")
    return f"{url}?status={status}" if status else url


def consultation_panel(user: User, role: str, person: Any) -> Panel | None:
    mine = visible_consultations(user)
    start, end = today_bounds()
    today = mine.filter(scheduled_at__gte=start, scheduled_at__lt=end,
                        status__in=[Status.SCHEDULED, Status.IN_PROGRESS])
    if role == "clinic_doctor":
        drafts = mine.filter(status=Status.DRAFT, requested_by=person).count()
        to_ack = mine.filter(inviting_institution=person.institution,
                             acknowledged_at__isnull=True,
                             reports__signed_at__isnull=False).distinct().count()
        panel = Panel(_("Remote consultation"), [
            Tile(_("Drafts"), drafts, _list(Status.DRAFT)),
            Tile(_("Awaiting an answer"), mine.filter(status=Status.REQUESTED).count(),
                 _list(Status.REQUESTED)),
            Tile(_("Today's consultations"), today.count(), _list(Status.SCHEDULED)),
            Tile(_("Reports to acknowledge"), to_ack, _list(Status.COMPLETED), urgent=to_ack > 0),
        ], _("Request a remote consultation"), reverse("consultations:consultation_new"), 10)
        if to_ack:
            panel.next_label, panel.next_url = _("Acknowledge the reports"), _list(Status.COMPLETED)
        elif drafts:
            panel.next_label, panel.next_url = _("Send your drafts"), _list(Status.DRAFT)
        return panel
    if role == "specialist":
        new = mine.filter(status=Status.REQUESTED).filter(
            Q(specialist=person) | Q(specialist__isnull=True,
                                     invited_department=person.department_id)).count()
        to_sign = mine.filter(specialist=person, status__in=[
            Status.SCHEDULED, Status.IN_PROGRESS, Status.COMPLETED]).exclude(
            reports__signed_at__isnull=False).count()
        panel = Panel(_("Remote consultation"), [
            Tile(_("New requests"), new, _list(Status.REQUESTED), urgent=new > 0),
            Tile(_("Today's schedule"), today.filter(specialist=person).count(),
                 _list(Status.SCHEDULED)),
            Tile(_("Reports to sign"), to_sign, _list(Status.IN_PROGRESS), urgent=to_sign > 0),
        ], _("Open the worklist"), _list(), 10)
        if new:
            panel.next_label, panel.next_url = _("Answer the new requests"), _list(Status.REQUESTED)
        return panel
    if role == "coordinator":
        counts = dict(mine.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
        return Panel(_("The institution at a glance"), [
            Tile(str(label), counts.get(value, 0), _list(value)) for value, label in Status.choices
        ], _("All consultations"), _list(), 10)
    if role == "patient":
        return Panel(_("My consultations"), [
            Tile(_("Open"), mine.exclude(status__in=[Status.COMPLETED, Status.CANCELLED,
                                                     Status.DECLINED]).count(),
                 reverse("consultations:patient_home")),
            Tile(_("Today"), today.count(), reverse("consultations:patient_home")),
        ], _("My consultations and records"), reverse("consultations:patient_home"), 20)
    return None
