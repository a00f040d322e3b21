"""Institutions, staff, patients and consultations (远程会诊)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cloudhospital.security.fields import EncryptedTextField


class CareLevel(models.TextChoices):
    TERTIARY = "tertiary", _("Tertiary hospital")
    SECONDARY = "secondary", _("Secondary hospital")
    GRASSROOTS = "grassroots", _("Community/township health centre")


class Institution(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    care_level = models.CharField(_("care level"), max_length=20, choices=CareLevel.choices)
    city = models.CharField(_("city"), max_length=100, default="沈阳")

    class Meta:
        verbose_name = _("institution")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_grassroots(self) -> bool:
        return self.care_level == CareLevel.GRASSROOTS


class Department(models.Model):
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="departments")
    name = models.CharField(_("name"), max_length=100)
    specialty = models.CharField(_("specialty"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("department")
        unique_together = [("institution", "name")]

    def __str__(self) -> str:
        return f"{self.institution} · {self.name}"


class CloudClinic(models.Model):
    """A consultation room (基层云诊室) at a grassroots centre."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="clinics")
    name = models.CharField(_("name"), max_length=100)
    location = models.CharField(_("location"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("cloud clinic")

    def __str__(self) -> str:
        return f"{self.institution} · {self.name}"


class Role(models.TextChoices):
    CLINIC_DOCTOR = "clinic_doctor", _("Clinic doctor")
    SPECIALIST = "specialist", _("Specialist")
    COORDINATOR = "coordinator", _("Coordinator")
    PHARMACIST = "pharmacist", _("Pharmacist")


class Staff(models.Model):
    """A real-name staff account; doctors act only with a verified practising licence."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="staff")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="staff")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="staff")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    real_name = models.CharField(_("real name"), max_length=100)
    title = models.CharField(_("title"), max_length=50, blank=True)
    specialty = models.CharField(_("specialty"), max_length=50, blank=True)
    licence_number = models.CharField(_("practising licence number"), max_length=30, blank=True)
    licence_verified = models.BooleanField(_("licence verified"), default=False)
    signing_public_key = models.BinaryField(null=True, blank=True, editable=False)
    signing_private_key = EncryptedTextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return f"{self.real_name} ({self.get_role_display()}, {self.institution})"

    @property
    def is_doctor(self) -> bool:
        return self.role in {Role.CLINIC_DOCTOR, Role.SPECIALIST}

    @property
    def may_practise(self) -> bool:
        return bool(self.licence_number) and self.licence_verified


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Patient(models.Model):
    """A patient; national ID and phone are encrypted, the ID is found by keyed hash."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="patient")
    home_institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                         related_name="patients")
    name = models.CharField(_("name"), max_length=100)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"))
    national_id = EncryptedTextField(_("national ID number"))
    national_id_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone = EncryptedTextField(_("phone"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patient")

    def __str__(self) -> str:
        return self.name

    @property
    def masked_national_id(self) -> str:
        return self.national_id[:6] + "********" + self.national_id[-4:]


class Diagnosis(models.Model):
    """A chronic diagnosis made in person at an institution (needed for online follow-up)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    icd10 = models.CharField(_("ICD-10 code"), max_length=10)
    name = models.CharField(_("diagnosis"), max_length=100)
    diagnosed_on = models.DateField(_("diagnosed on"))
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    in_person = models.BooleanField(_("diagnosed in person"), default=True)

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")

    def __str__(self) -> str:
        return f"{self.icd10} {self.name}"


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


class ConsultationQuerySet(models.QuerySet):
    def delete(self):
        raise RetentionError("consultations are never deleted; see purge_consultations")

    def purge(self):
        """Hard delete, for ``actions.purge_closed_before`` only (after the retention check)."""
        return super().delete()


class Consultation(models.Model):
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
    reason = models.TextField(_("reason and purpose"))
    clinical_question = models.TextField(_("clinical question"))
    record_summary = models.TextField(_("summary of the record"))
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices,
                               default=Urgency.ROUTINE)
    proposed_times = models.JSONField(_("proposed times"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    decline_reason = models.TextField(_("decline reason"), blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
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
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.patient} → {self.invited_institution} ({self.status})"

    @property
    def proposed_datetimes(self) -> list[dt.datetime]:
        """Proposed times as aware datetimes (stored as UTC ISO strings)."""
        return [dt.datetime.fromisoformat(value) for value in self.proposed_times]

    def can_transition_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def delete(self, *args, **kwargs):
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
    signed_by = models.CharField(_("signed by"), max_length=100)
    relation = models.CharField(_("relation to patient"), max_length=20, choices=Relation.choices)
    signed_at = models.DateTimeField(_("signed at"))
    method = models.CharField(_("how"), max_length=20, choices=ConsentMethod.choices)
    recording_allowed = models.BooleanField(_("patient allows recording"), default=False)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("informed consent")

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
    findings = models.TextField(_("findings"))
    opinion = models.TextField(_("opinion"))
    recommendations = models.TextField(_("recommendations"))
    created_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signature = models.BinaryField(null=True, blank=True, editable=False)
    signer_public_key = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("report")
        ordering = ["consultation", "version"]
        constraints = [models.UniqueConstraint(fields=["consultation", "version"],
                                               name="one_report_per_version")]

    def __str__(self) -> str:
        return f"report v{self.version} for {self.consultation_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and Report.objects.filter(pk=self.pk,
                                                         signed_at__isnull=False).exists():
            raise ImmutableReportError("signed reports cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_signed:
            raise ImmutableReportError("signed reports cannot be deleted")
        super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None
