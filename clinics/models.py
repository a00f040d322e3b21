"""What every workflow shares: institutions, departments, clinics, staff, patients, diagnoses."""

from __future__ import annotations

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
        verbose_name_plural = _("institutions")
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
        verbose_name_plural = _("departments")
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
        verbose_name_plural = _("cloud clinics")

    def __str__(self) -> str:
        return f"{self.institution} · {self.name}"


class Role(models.TextChoices):
    CLINIC_DOCTOR = "clinic_doctor", _("Clinic doctor")
    SPECIALIST = "specialist", _("Specialist")
    COORDINATOR = "coordinator", _("Coordinator")


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
        verbose_name_plural = _("patients")

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
