"""Follow-up plans, doctors' schedules and slots, visits, notifications.

Times are stored in UTC; schedule templates are wall-clock times in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.followups import rules
from clinics.models import CloudClinic, Diagnosis, Patient, Staff
from cloudhospital.security.fields import EncryptedJSONField, EncryptedTextField


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class FollowUpPlan(models.Model):
    """A patient's follow-up for one chronic condition with a responsible doctor."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="followup_plans")
    condition = models.CharField(_("condition (ICD-10)"), max_length=10)
    doctor = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="followup_plans")
    clinic = models.ForeignKey(CloudClinic, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="followup_plans")
    interval_days = models.PositiveIntegerField(
        _("interval override (days)"), null=True, blank=True,
        help_text=_("Empty: the interval follows the rules (stable or out of target)."))
    controlled = models.BooleanField(_("readings within target"), default=True)
    next_due_on = models.DateField(_("next follow-up due"))
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices,
                              default=PlanStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up plan")
        verbose_name_plural = _("follow-up plans")
        constraints = [models.UniqueConstraint(
            fields=["patient", "condition"], condition=Q(status="active"),
            name="one_active_plan_per_condition")]

    def __str__(self) -> str:
        return f"{self.patient} · {self.condition}"

    def in_person_diagnosis(self) -> Diagnosis | None:
        """The in-person diagnosis at an institution that makes online follow-up allowed."""
        return (Diagnosis.objects.filter(patient_id=self.patient_id, in_person=True,
                                         institution__isnull=False,
                                         icd10__istartswith=self.condition)
                .order_by("diagnosed_on").first())


class ScheduleTemplate(models.Model):
    """A weekly recurring block of follow-up slots (wall-clock time, Asia/Shanghai)."""

    doctor = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="schedule_templates")
    clinic = models.ForeignKey(CloudClinic, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    weekday = models.PositiveSmallIntegerField(_("weekday (0 = Monday)"))
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("to"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=15)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("weekly schedule")
        verbose_name_plural = _("weekly schedules")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="template_weekday_range"),
            models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")),
                                   name="template_end_after_start"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5),
                                   name="template_slot_minutes_min"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} weekday {self.weekday} {self.start_time}-{self.end_time}"


class ExceptionKind(models.TextChoices):
    CLOSED = "closed", _("Not available")
    EXTRA = "extra", _("Extra hours")


class ScheduleException(models.Model):
    """A date that differs from the weekly template: closed (whole day or hours) or extra."""

    doctor = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="schedule_exceptions")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=ExceptionKind.choices)
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("to"), null=True, blank=True)
    clinic = models.ForeignKey(CloudClinic, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    slot_minutes = models.PositiveSmallIntegerField(default=15)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("schedule exception")
        verbose_name_plural = _("schedule exceptions")

    def __str__(self) -> str:
        return f"{self.doctor} {self.date} {self.kind}"


class Slot(models.Model):
    """One bookable time with a doctor. At most one live visit holds it (DB constraint)."""

    doctor = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="followup_slots")
    clinic = models.ForeignKey(CloudClinic, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    start = models.DateTimeField(_("start"), db_index=True)
    end = models.DateTimeField(_("end"))
    is_open = models.BooleanField(_("open for booking"), default=True)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["doctor", "start"], name="one_slot_per_doctor_start"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")),
                                   name="slot_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} {timezone.localtime(self.start):%Y-%m-%d %H:%M}"

    def is_bookable(self, now: dt.datetime | None = None) -> bool:
        """Open, in the future beyond the booking cut-off, and not held by a live visit."""
        now = now or timezone.now()
        return (self.is_open and rules.may_book(self.start, now)
                and not self.visits.filter(status__in=HOLDING_STATUSES).exists())


class VisitStatus(models.TextChoices):
    DUE = "due", _("Due, not booked")
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in, waiting")
    IN_CONSULTATION = "in_consultation", _("In consultation")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


# A slot is held by any visit on it that is not cancelled; a plan has at most one open visit.
HOLDING_STATUSES = [VisitStatus.BOOKED, VisitStatus.CHECKED_IN, VisitStatus.IN_CONSULTATION,
                    VisitStatus.COMPLETED, VisitStatus.NO_SHOW]
OPEN_STATUSES = [VisitStatus.DUE, VisitStatus.BOOKED, VisitStatus.CHECKED_IN,
                 VisitStatus.IN_CONSULTATION]


class Visit(models.Model):
    """One follow-up visit (the API's "appointment" once it holds a slot)."""

    plan = models.ForeignKey(FollowUpPlan, on_delete=models.PROTECT, related_name="visits")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="followup_visits")
    doctor = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="followup_visits")
    slot = models.ForeignKey(Slot, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="visits")
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=20, choices=VisitStatus.choices,
                              default=VisitStatus.DUE, db_index=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    systolic = models.PositiveSmallIntegerField(_("systolic BP (mmHg)"), null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic BP (mmHg)"), null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(_("heart rate (/min)"), null=True, blank=True)
    glucose = models.DecimalField(_("fasting glucose (mmol/L)"), max_digits=4, decimal_places=1,
                                  null=True, blank=True)
    weight = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1,
                                 null=True, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    out_of_target = models.BooleanField(_("readings out of target"), default=False)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["-due_on", "-id"]
        constraints = [
            # The rule that no slot is ever double-booked lives here, in the database.
            models.UniqueConstraint(fields=["slot"], condition=~Q(status="cancelled")
                                    & Q(slot__isnull=False), name="one_live_visit_per_slot"),
            models.UniqueConstraint(fields=["plan"], condition=Q(status__in=[
                "due", "booked", "checked_in", "in_consultation"]),
                name="one_open_visit_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} · {self.plan.condition} · {self.status}"

    @property
    def start(self):
        return self.slot.start if self.slot_id else None

    @property
    def room_url(self) -> str:
        return f"/visits/{self.pk}/room/"


class Notification(models.Model):
    """An in-app message; ``dedupe_key`` makes every delivery happen at most once.

    Title, body and data name the patient and their readings: encrypted at rest."""

    # Empty for a patient without an account: the row then records an SMS-only delivery.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="followup_notifications")
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    kind = models.CharField(_("kind"), max_length=40)
    dedupe_key = models.CharField(max_length=200, unique=True)
    title = EncryptedTextField(_("title"), max_length=200)
    body = EncryptedTextField(_("message"), blank=True)
    data = EncryptedJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class SmsMessage(models.Model):
    """What the local SMS backend "sent": written instead of calling a gateway."""

    dedupe_key = models.CharField(max_length=200, unique=True)
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    phone_last4 = models.CharField(max_length=4, blank=True)
    body = EncryptedTextField()
    backend = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")

    def __str__(self) -> str:
        return self.dedupe_key


class NotificationPreference(models.Model):
    """How a person wants to be told: in-app always; SMS on or off, to this number."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    sms_enabled = models.BooleanField(_("also by SMS"), default=True)
    phone = models.CharField(_("mobile phone for SMS"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user}: sms={'on' if self.sms_enabled else 'off'}"
