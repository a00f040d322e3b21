"""The drug catalogue and online prescriptions (续方): items, renewal requests, the
pharmacist's review and dispensing.

A prescription is a draft until the doctor signs it; from then on its content never
changes (a change is a new prescription), only its status moves on. Free-text clinical
fields are encrypted at rest.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.followups.models import FollowUpPlan, Visit
from clinics.models import Diagnosis, Institution, Patient, Staff
from cloudhospital.security.fields import EncryptedTextField


class Drug(models.Model):
    """One catalogue entry: a generic drug in one form and strength."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("generic name"), max_length=100, db_index=True)
    form = models.CharField(_("dosage form"), max_length=30)
    strength = models.CharField(_("strength"), max_length=50)
    route = models.CharField(_("route"), max_length=10)
    unit = models.CharField(_("dose unit"), max_length=10)
    package_unit = models.CharField(_("dispensing unit"), max_length=10)
    conditions = models.JSONField(_("ICD-10 categories treated"), default=list, blank=True)
    narcotic = models.BooleanField(_("narcotic"), default=False)
    psychotropic = models.BooleanField(_("psychotropic"), default=False)
    toxic = models.BooleanField(_("medical toxic"), default=False)
    radioactive = models.BooleanField(_("radioactive"), default=False)
    high_risk = models.BooleanField(_("high-risk or specially controlled"), default=False)
    active = models.BooleanField(_("in the catalogue"), default=True)

    class Meta:
        verbose_name = _("drug")
        verbose_name_plural = _("drugs")
        ordering = ["name", "strength"]

    def __str__(self) -> str:
        return f"{self.name} {self.strength}"

    RESTRICTION_FLAGS = ("narcotic", "psychotropic", "toxic", "radioactive", "high_risk")

    @property
    def restrictions(self) -> list[str]:
        return [flag for flag in self.RESTRICTION_FLAGS if getattr(self, flag)]

    @property
    def restricted(self) -> bool:
        return bool(self.restrictions)


class RxStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed, awaiting pharmacist review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected by the pharmacist")
    DISPENSED = "dispensed", _("Dispensed")
    REVOKED = "revoked", _("Revoked")


# Every other move is refused with 409 and the current status.
TRANSITIONS: dict[str, set[str]] = {
    RxStatus.DRAFT: {RxStatus.SIGNED, RxStatus.REVOKED},
    RxStatus.SIGNED: {RxStatus.APPROVED, RxStatus.REJECTED, RxStatus.REVOKED},
    RxStatus.APPROVED: {RxStatus.DISPENSED, RxStatus.REVOKED},
    RxStatus.REJECTED: set(),
    RxStatus.DISPENSED: set(),
    RxStatus.REVOKED: set(),
}
VALID_STATUSES = [RxStatus.APPROVED, RxStatus.DISPENSED]  # shown as valid, printable
PATIENT_VISIBLE = [RxStatus.APPROVED, RxStatus.DISPENSED, RxStatus.REVOKED]

# What may still change on a signed prescription (its life, never its content).
MUTABLE_AFTER_SIGNING = {"status", "revoked_at", "revoke_reason", "supply_start", "updated_at"}


class ImmutablePrescriptionError(Exception):
    """A signed prescription's content is never changed; write a new one."""


def _verify_code() -> str:
    return secrets.token_urlsafe(18)


class Prescription(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prescriptions")
    plan = models.ForeignKey(FollowUpPlan, on_delete=models.PROTECT,
                             related_name="prescriptions")
    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="prescriptions")
    renewal_request = models.OneToOneField("RenewalRequest", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="answer")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="prescriptions")
    doctor = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="prescriptions")
    status = models.CharField(_("status"), max_length=20, choices=RxStatus.choices,
                              default=RxStatus.DRAFT, db_index=True)
    long_term = models.BooleanField(_("long-term prescription"), default=False)
    guardian_present = models.BooleanField(_("guardian present"), default=False)
    urgent = models.BooleanField(_("urgent"), default=False)
    note = EncryptedTextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signature = models.BinaryField(null=True, blank=True, editable=False)
    signer_public_key = models.BinaryField(null=True, blank=True, editable=False)
    supply_start = models.DateField(_("supply starts"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = EncryptedTextField(_("reason for revoking"), blank=True)
    verify_code = models.CharField(max_length=32, unique=True, default=_verify_code,
                                   editable=False)

    class Meta:
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(
            condition=Q(visit__isnull=False) | Q(renewal_request__isnull=False),
            name="prescribed_in_a_visit_or_for_a_request")]

    def __str__(self) -> str:
        return f"{self.patient} {self.created_at:%Y-%m-%d} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and Prescription.objects.filter(
                pk=self.pk, signed_at__isnull=False).exists():
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= MUTABLE_AFTER_SIGNING:
                raise ImmutablePrescriptionError("a signed prescription cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutablePrescriptionError("prescriptions are kept; revoke instead")

    def can_transition_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_valid(self) -> bool:
        return self.status in VALID_STATUSES

    def is_superseded(self) -> bool:
        """A newer valid prescription under the same plan replaces this one."""
        return Prescription.objects.filter(plan=self.plan_id, created_at__gt=self.created_at,
                                           status__in=VALID_STATUSES).exists()

    @property
    def number(self) -> str:
        return self.id.hex[:12].upper()

    @property
    def supply_days(self) -> int:
        return max((item.days for item in self.items.all()), default=0)

    @property
    def supply_end(self) -> dt.date | None:
        """The last day covered by this prescription's supply."""
        if self.supply_start is None:
            return None
        return self.supply_start + dt.timedelta(days=self.supply_days - 1)

    def days_left(self, today: dt.date | None = None) -> int | None:
        end = self.supply_end
        if end is None or not self.is_valid:
            return None
        today = today or timezone.localdate()
        return max((end - today).days + 1, 0)


class Frequency(models.TextChoices):
    QD = "qd", _("once a day")
    BID = "bid", _("twice a day")
    TID = "tid", _("three times a day")
    QID = "qid", _("four times a day")
    QN = "qn", _("every night")
    QW = "qw", _("once a week")


class Route(models.TextChoices):
    ORAL = "po", _("oral")
    INHALED = "inh", _("inhaled")
    SUBCUTANEOUS = "sc", _("subcutaneous")
    SUBLINGUAL = "sl", _("sublingual")
    TOPICAL = "top", _("topical")


class PrescriptionItem(models.Model):
    """One Rp. line: a drug, how much each time, how often, how long, how many."""

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT,
                                     related_name="items")
    position = models.PositiveSmallIntegerField()
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+")
    dose = models.DecimalField(_("dose"), max_digits=8, decimal_places=3)
    unit = models.CharField(_("dose unit"), max_length=10)
    frequency = models.CharField(_("frequency"), max_length=5, choices=Frequency.choices)
    route = models.CharField(_("route"), max_length=5, choices=Route.choices)
    days = models.PositiveSmallIntegerField(_("days"))
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("prescription item")
        verbose_name_plural = _("prescription items")
        ordering = ["prescription", "position"]
        constraints = [models.UniqueConstraint(fields=["prescription", "position"],
                                               name="one_item_per_position")]

    def __str__(self) -> str:
        return f"{self.drug} × {self.quantity}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if Prescription.objects.filter(pk=self.prescription_id,
                                       signed_at__isnull=False).exists():
            raise ImmutablePrescriptionError("a signed prescription cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutablePrescriptionError("prescription items are never deleted")


class RenewalStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for the doctor")
    ANSWERED = "answered", _("Prescribed")
    DECLINED = "declined", _("Declined")


class RenewalRequest(models.Model):
    """The patient asks the plan's doctor to renew a current prescription."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT,
                                related_name="renewal_requests")
    plan = models.ForeignKey(FollowUpPlan, on_delete=models.PROTECT,
                             related_name="renewal_requests")
    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT,
                                     related_name="renewal_requests")
    status = models.CharField(_("status"), max_length=10, choices=RenewalStatus.choices,
                              default=RenewalStatus.WAITING, db_index=True)
    note = EncryptedTextField(_("message to the doctor"), blank=True)
    decline_reason = EncryptedTextField(_("reason for declining"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("renewal request")
        verbose_name_plural = _("renewal requests")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(
            fields=["prescription"], condition=Q(status="waiting"),
            name="one_waiting_request_per_prescription")]

    def __str__(self) -> str:
        return f"{self.patient} renewal of {self.prescription_id} ({self.status})"


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Review(models.Model):
    """The pharmacist's review (处方审核) of a signed prescription."""

    prescription = models.OneToOneField(Prescription, on_delete=models.PROTECT,
                                        related_name="review")
    pharmacist = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = EncryptedTextField(_("reason"), blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("pharmacist review")
        verbose_name_plural = _("pharmacist reviews")

    def __str__(self) -> str:
        return f"{self.decision} by {self.pharmacist}"


class DispenseMethod(models.TextChoices):
    PICKUP = "pickup", _("Picked up at the centre's pharmacy")
    DELIVERY = "delivery", _("Delivered")


class Dispense(models.Model):
    """That the medicines were handed over (record only; delivery is outside)."""

    prescription = models.OneToOneField(Prescription, on_delete=models.PROTECT,
                                        related_name="dispense")
    pharmacist = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("how"), max_length=10, choices=DispenseMethod.choices)
    note = EncryptedTextField(_("note"), blank=True)
    dispensed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dispensing")
        verbose_name_plural = _("dispensings")

    def __str__(self) -> str:
        return f"{self.prescription_id} {self.method}"
