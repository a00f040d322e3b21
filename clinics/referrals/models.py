"""Two-way referral (双向转诊): up from a grassroots centre to a hospital, down back again.

Free-text clinical fields are encrypted at rest. Times are stored in UTC.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from clinics.consultations.models import ConsentMethod, Consultation, Relation, Urgency
from clinics.followups.models import FollowUpPlan
from clinics.models import Department, Institution, Patient, Staff
from clinics.referrals.choices import AppointmentKind, Direction
from cloudhospital.security.fields import EncryptedTextField

__all__ = ["OPEN_STATUSES", "TRANSITIONS", "AppointmentKind", "Direction", "Referral",
           "ReferralConsent", "ReferralStatus"]


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("Draft, awaiting consent")
    REQUESTED = "requested", _("Sent, awaiting answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    ARRIVED = "arrived", _("Patient arrived")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# The referral's life, enforced on the server: every other move is refused (409).
TRANSITIONS: dict[str, set[str]] = {
    ReferralStatus.DRAFT: {ReferralStatus.REQUESTED, ReferralStatus.CANCELLED},
    ReferralStatus.REQUESTED: {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED,
                               ReferralStatus.CANCELLED},
    ReferralStatus.ACCEPTED: {ReferralStatus.ARRIVED, ReferralStatus.CANCELLED},
    ReferralStatus.ARRIVED: {ReferralStatus.COMPLETED},
    ReferralStatus.DECLINED: set(),
    ReferralStatus.COMPLETED: set(),
    ReferralStatus.CANCELLED: set(),
}
OPEN_STATUSES = [ReferralStatus.DRAFT, ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED,
                 ReferralStatus.ARRIVED]


class Referral(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    consultation = models.ForeignKey(Consultation, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="referrals")
    from_institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                         related_name="referrals_sent")
    requested_by = models.ForeignKey(Staff, on_delete=models.PROTECT,
                                     related_name="referrals_sent")
    to_institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                       related_name="referrals_received")
    to_department = models.ForeignKey(Department, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    to_doctor = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="referrals_addressed")
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices,
                               default=Urgency.ROUTINE)
    status = models.CharField(_("status"), max_length=20, choices=ReferralStatus.choices,
                              default=ReferralStatus.DRAFT, db_index=True)

    reason = EncryptedTextField(_("reason for referral"))
    summary = EncryptedTextField(_("clinical summary"))
    medication = EncryptedTextField(_("current medication"), blank=True)
    # Downward: the hospital's discharge summary; upward: written on completion.
    discharge_summary = EncryptedTextField(_("discharge summary"), blank=True)
    diagnoses = models.JSONField(_("diagnoses made in person"), default=list, blank=True)
    treatment = EncryptedTextField(_("treatment"), blank=True)
    discharge_medication = EncryptedTextField(_("medication on discharge"), blank=True)
    advice = EncryptedTextField(_("advice"), blank=True)
    followup_condition = models.CharField(_("follow-up condition (ICD-10)"), max_length=10,
                                          blank=True)
    followup_interval_days = models.PositiveIntegerField(_("follow-up interval (days)"),
                                                         null=True, blank=True)
    followup_targets = EncryptedTextField(_("follow-up targets"), blank=True)

    answer_due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    appointment_kind = models.CharField(_("appointment"), max_length=12, blank=True,
                                        choices=AppointmentKind.choices)
    appointment_at = models.DateTimeField(_("appointment time"), null=True, blank=True)
    ward = models.CharField(_("ward"), max_length=100, blank=True)
    location = models.CharField(_("where to go"), max_length=200, blank=True)
    bring = models.TextField(_("also bring"), blank=True)
    decline_reason = EncryptedTextField(_("decline reason"), blank=True)
    cancel_reason = EncryptedTextField(_("cancellation reason"), blank=True)
    followup_plan = models.ForeignKey(FollowUpPlan, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="referrals")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.patient} → {self.to_institution} ({self.direction}, {self.status})"

    def can_transition_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def what_to_bring(self) -> str:
        """The standard list for the appointment's kind plus the receiver's additions, in
        the reader's language (so it is worked out when shown, not stored)."""
        from clinics.referrals.rules import what_to_bring

        return what_to_bring(self.appointment_kind, self.bring) if self.appointment_kind else ""

    @property
    def is_green_channel(self) -> bool:
        return self.direction == Direction.UP and self.urgency == Urgency.URGENT


class ReferralConsent(models.Model):
    """The patient's (or guardian's) informed consent to the referral, as for consultations."""

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="consent")
    signed_by = EncryptedTextField(_("signed by"), max_length=100)  # a name: encrypted
    relation = models.CharField(_("relation to patient"), max_length=20, choices=Relation.choices)
    signed_at = models.DateTimeField(_("signed at"))
    method = models.CharField(_("how"), max_length=20, choices=ConsentMethod.choices)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral consent")
        verbose_name_plural = _("referral consents")

    def __str__(self) -> str:
        return f"{self.signed_by} ({self.relation})"
