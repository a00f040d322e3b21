"""Remote consultation (远程会诊): the request, consent, its life, reports, recording consent."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from clinics.models import Department, Institution, Patient, Staff
from cloudhospital.security.fields import EncryptedTextField


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# The consultation's life, enforced on the server: every other move is refused (409).
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.REQUESTED, Status.CANCELLED},
    Status.REQUESTED: {Status.ACCEPTED, Status.DECLINED, Status.CANCELLED},
    Status.ACCEPTED: {Status.SCHEDULED, Status.CANCELLED},
    Status.SCHEDULED: {Status.SCHEDULED, Status.IN_PROGRESS, Status.CANCELLED},
    Status.IN_PROGRESS: {Status.COMPLETED},
    Status.DECLINED: set(),
    Status.COMPLETED: set(),
    Status.CANCELLED: set(),
}
OPEN_STATUSES = {Status.DRAFT, Status.REQUESTED, Status.ACCEPTED, Status.SCHEDULED,
                 Status.IN_PROGRESS}


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")


class RetentionError(Exception):
    """Consultation records are kept for the retention period and never hard-deleted."""


class ConsultationQuerySet(models.QuerySet["Consultation"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise RetentionError("consultations are never deleted; see purge_consultations")

    def purge(self) -> tuple[int, dict[str, int]]:
        """Hard delete, for ``actions.purge_closed_before`` only (after the retention check)."""
        return super().delete()


class Consultation(models.Model):
    """A request for a remote consultation; its free text is encrypted at rest."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consultations")
    requested_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="requested")
    inviting_institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                             related_name="consultations_sent")
    invited_institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                            related_name="consultations_received")
    invited_department = models.ForeignKey(Department, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    specialist = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="consultations")
    reason = EncryptedTextField(_("reason and purpose"))
    clinical_question = EncryptedTextField(_("clinical question"))
    record_summary = EncryptedTextField(_("summary of the record"))
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices,
                               default=Urgency.ROUTINE)
    proposed_times = models.JSONField(_("proposed times"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    decline_reason = EncryptedTextField(_("decline reason"), blank=True)
    cancel_reason = EncryptedTextField(_("cancellation reason"), blank=True)
    scheduled_at = models.DateTimeField(_("scheduled time"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.patient} → {self.invited_institution} ({self.status})"

    @property
    def proposed_datetimes(self) -> list[dt.datetime]:
        """Proposed times as aware datetimes (stored as UTC ISO strings); a stored value that
        is not one (an old or hand-edited row) is left out rather than breaking the page."""
        times = []
        for value in self.proposed_times or []:
            try:
                moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                times.append(moment)
        return times

    def can_transition_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RetentionError("consultations are never deleted; see purge_consultations")


class Relation(models.TextChoices):
    SELF = "self", _("Patient")
    GUARDIAN = "guardian", _("Guardian")
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    OTHER_RELATIVE = "other_relative", _("Other close relative")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Signed paper form (scanned)")
    ELECTRONIC = "electronic", _("Electronic signature")


class Consent(models.Model):
    """Written informed consent to the consultation (and optionally to recording it)."""

    consultation = models.OneToOneField(Consultation, on_delete=models.PROTECT,
                                        related_name="consent")
    signed_by = EncryptedTextField(_("signed by"), max_length=100)
    relation = models.CharField(_("relation to patient"), max_length=20, choices=Relation.choices)
    signed_at = models.DateTimeField(_("signed at"))
    method = models.CharField(_("how"), max_length=20, choices=ConsentMethod.choices)
    recording_allowed = models.BooleanField(_("patient allows recording"), default=False)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("informed consent")
        verbose_name_plural = _("informed consents")

    def __str__(self) -> str:
        return f"{self.signed_by} ({self.relation})"


class ImmutableReportError(Exception):
    """A signed report is never changed; an amendment is a new signed version."""


class Report(models.Model):
    """The specialist's report. A draft until signed; immutable afterwards."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT,
                                     related_name="reports")
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="reports")
    findings = EncryptedTextField(_("findings"))
    opinion = EncryptedTextField(_("opinion"))
    recommendations = EncryptedTextField(_("recommendations"))
    created_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signature = models.BinaryField(null=True, blank=True, editable=False)
    signer_public_key = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["consultation", "version"]
        constraints = [models.UniqueConstraint(fields=["consultation", "version"],
                                               name="one_report_per_version")]

    def __str__(self) -> str:
        return f"report v{self.version} for {self.consultation_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and Report.objects.filter(pk=self.pk,
                                                         signed_at__isnull=False).exists():
            raise ImmutableReportError("signed reports cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_signed:
            raise ImmutableReportError("signed reports cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class RecordingConsent(models.Model):
    """A doctor's own consent to record a consultation (the patient's is on Consent)."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="recording_consents")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    allowed = models.BooleanField(_("allows recording"), default=False)
    given_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("recording consent")
        verbose_name_plural = _("recording consents")
        constraints = [models.UniqueConstraint(fields=["consultation", "staff"],
                                               name="one_recording_consent_per_staff")]

    def __str__(self) -> str:
        return f"{self.staff} {'allows' if self.allowed else 'refuses'} recording"
