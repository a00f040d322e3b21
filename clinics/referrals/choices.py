"""Choices the referral rules need without the models (``rules`` is imported by
``models.Referral.what_to_bring``; ``models`` re-exports these)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    UP = "up", _("Upward (centre to hospital)")
    DOWN = "down", _("Downward (hospital to centre)")


class AppointmentKind(models.TextChoices):
    OUTPATIENT = "outpatient", _("Outpatient appointment")
    INPATIENT = "inpatient", _("Inpatient admission")
    FOLLOWUP = "followup", _("Follow-up at the centre")
