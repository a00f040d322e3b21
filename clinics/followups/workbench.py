"""The follow-up panel of the workbench: today's desk for doctors, the next visit for patients."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.followups.models import Visit, VisitStatus
from clinics.workbench import Panel, Tile, today_bounds
from cloudhospital.core.display import when

OPEN = [VisitStatus.BOOKED, VisitStatus.CHECKED_IN, VisitStatus.IN_CONSULTATION]


def followup_panel(user, role: str, person) -> Panel | None:
    start, end = today_bounds()
    if role in {"clinic_doctor", "specialist"}:
        today = Visit.objects.filter(doctor=person, slot__start__gte=start, slot__start__lt=end)
        waiting = today.filter(status=VisitStatus.CHECKED_IN).count()
        desk = reverse("followups:desk")
        return Panel(_("Chronic-disease follow-up"), [
            Tile(_("Today's follow-up visits"), today.filter(status__in=OPEN).count(), desk),
            Tile(_("Waiting now"), waiting, desk, urgent=waiting > 0),
        ], _("Open the follow-up desk"), desk, 20)
    if role == "patient":
        upcoming = (Visit.objects.filter(patient=person, status__in=OPEN,
                                         slot__start__gte=timezone.now() - (end - start) / 24)
                    .select_related("slot", "doctor").order_by("slot__start").first())
        home = reverse("followups:home")
        tiles = [Tile(_("Next visit"), None, home)]
        if upcoming is not None:
            tiles[0].label = _("Next visit: %(when)s, %(doctor)s") % {
                "when": when(upcoming.slot.start), "doctor": upcoming.doctor.real_name}
            return Panel(_("My follow-up"), tiles, _("Check in or see my place"), home, 10)
        tiles[0].label = _("No visit booked")
        return Panel(_("My follow-up"), tiles, _("Book a follow-up visit"), home, 10)
    return None
