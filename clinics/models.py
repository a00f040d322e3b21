"""What every workflow shares: institutions, departments, clinics, staff, patients, diagnoses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinics import patient_names
from cloudhospital.security.fields import EncryptedDateField, EncryptedTextField


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
    """A patient; everything that identifies them is encrypted at rest.

    Found by keyed hashes only: the national ID (``national_id_hash``), the whole name
    (``name_hash``) and name prefixes (``PatientNameToken``, kept in step by ``save``).
    The birth date is an envelope too; ages are computed in Python.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="patient")
    home_institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                         related_name="patients")
    name = EncryptedTextField(_("name"), max_length=100)
    name_hash = models.CharField(max_length=64, db_index=True, editable=False, default="")
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    date_of_birth = EncryptedDateField(_("date of birth"))
    national_id = EncryptedTextField(_("national ID number"))
    national_id_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone = EncryptedTextField(_("phone"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Keep the name's keyed hash and prefix tokens in step with the name."""
        update_fields = kwargs.get("update_fields")
        name_changes = update_fields is None or "name" in update_fields
        if name_changes:
            self.name_hash = patient_names.name_hash(self.name)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "name_hash"}
        super().save(*args, **kwargs)
        if name_changes:
            self.name_tokens.all().delete()
            PatientNameToken.objects.bulk_create(
                PatientNameToken(patient=self, token=token)
                for token in sorted(patient_names.name_tokens(self.name)))

    @property
    def masked_national_id(self) -> str:
        return self.national_id[:6] + "********" + self.national_id[-4:]


class PatientNameToken(models.Model):
    """One keyed prefix token of a patient's name (see ``clinics.patient_names``)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="name_tokens")
    token = models.CharField(max_length=64, db_index=True)

    class Meta:
        verbose_name = _("patient name token")
        verbose_name_plural = _("patient name tokens")
        constraints = [models.UniqueConstraint(fields=["patient", "token"],
                                               name="clinics_one_name_token_per_patient")]

    def __str__(self) -> str:
        return f"name token of patient {self.patient_id}"


class Diagnosis(models.Model):
    """A chronic diagnosis made in person at an institution (needed for online follow-up)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    icd10 = models.CharField(_("ICD-10 code"), max_length=10)
    name = EncryptedTextField(_("diagnosis"), max_length=100)
    diagnosed_on = models.DateField(_("diagnosed on"))
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    in_person = models.BooleanField(_("diagnosed in person"), default=True)

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")

    def __str__(self) -> str:
        return f"{self.icd10} {self.name}"
