"""The imaging index: who may send, patient → study → series → instance, quarantine, shares.

The pixel data and every other byte of an instance live in the encrypted blob store
(``imaging.store``); these rows hold only what DICOMweb searches (QIDO) and access checks
need, plus the blob key that finds the original bytes.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinics.consultations.models import Consultation
from clinics.models import Institution, Staff
from cloudhospital.security.fields import EncryptedTextField
from imaging import patient_index


class Source(models.TextChoices):
    DIMSE = "dimse", _("DICOM C-STORE")
    STOW = "stow", _("STOW-RS")
    UPLOAD = "upload", _("Upload")
    IMPORT = "import", _("import_dicom")
    DEID = "deid", _("De-identified share")


class RemoteAE(models.Model):
    """A scanner or PACS allowed to C-STORE to us; what it sends belongs to ``institution``."""

    ae_title = models.CharField(_("calling AE title"), max_length=16, unique=True)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="dicom_aes")
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("registered DICOM AE")
        verbose_name_plural = _("registered DICOM AEs")

    def __str__(self) -> str:
        return f"{self.ae_title} → {self.institution}"

    def clean(self) -> None:
        """PS3.5 AE VR: 1-16 characters, no backslash or control characters."""
        self.ae_title = self.ae_title.strip()
        if not self.ae_title or "\\" in self.ae_title or any(
                ord(c) < 32 or ord(c) > 126 for c in self.ae_title):
            raise ValidationError({"ae_title": _("1-16 printable ASCII characters, no "
                                                 "backslash")})


class DicomPatientManager(models.Manager):
    def index(self, institution: Institution, *, patient_id: str, patient_name: str,
              birth_date: str, sex: str) -> DicomPatient:
        """The issuer's patient with this Patient ID, created (with the keyed hashes and
        name tokens QIDO searches) the first time it is seen."""
        patient, created = self.get_or_create(
            institution=institution, patient_id_hash=patient_index.patient_id_hash(patient_id),
            defaults={"patient_id": patient_id, "patient_name": patient_name,
                      "name_hash": patient_index.name_hash(patient_name),
                      "birth_date": birth_date, "sex": sex})
        if created:
            DicomPatientNameToken.objects.bulk_create(
                DicomPatientNameToken(patient=patient, token=token)
                for token in sorted(patient_index.name_tokens(patient_name)))
        return patient


class DicomPatient(models.Model):
    """The patient as the sending institution's modality knows him (Patient ID is per issuer).

    Every patient attribute is encrypted at rest; searches go through keyed hashes and
    name-prefix tokens (``imaging.patient_index``)."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    patient_id = EncryptedTextField(_("Patient ID"), blank=True)
    patient_id_hash = models.CharField(max_length=64, editable=False)
    patient_name = EncryptedTextField(_("Patient's Name"), blank=True)
    name_hash = models.CharField(max_length=64, db_index=True, editable=False)
    birth_date = EncryptedTextField(_("Patient's Birth Date"), blank=True)
    sex = EncryptedTextField(_("Patient's Sex"), blank=True)

    objects = DicomPatientManager()

    class Meta:
        verbose_name = _("DICOM patient")
        verbose_name_plural = _("DICOM patients")
        constraints = [models.UniqueConstraint(fields=["institution", "patient_id_hash"],
                                               name="one_dicom_patient_per_issuer")]

    def __str__(self) -> str:
        return f"{self.patient_name} ({self.patient_id})"


class DicomPatientNameToken(models.Model):
    """A keyed hash of one prefix of one component of a patient's name (see
    ``imaging.patient_index``): what ``PatientName=ZHANG*`` looks up."""

    patient = models.ForeignKey(DicomPatient, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("DICOM patient name token")
        verbose_name_plural = _("DICOM patient name tokens")
        indexes = [models.Index(fields=["token", "patient"], name="dicom_name_token")]
        constraints = [models.UniqueConstraint(fields=["patient", "token"],
                                               name="one_name_token_per_patient")]

    def __str__(self) -> str:
        return f"{self.patient_id}: {self.token[:12]}…"


class Study(models.Model):
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="studies")
    patient = models.ForeignKey(DicomPatient, on_delete=models.PROTECT, related_name="studies")
    study_instance_uid = models.CharField(max_length=64, unique=True)
    study_date = models.DateField(null=True, blank=True, db_index=True)
    study_time = models.CharField(max_length=16, blank=True)
    accession_number = models.CharField(max_length=16, blank=True, db_index=True)
    study_id = models.CharField(max_length=16, blank=True)
    study_description = models.CharField(max_length=64, blank=True)
    referring_physician = models.CharField(max_length=324, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("study")
        verbose_name_plural = _("studies")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.study_date or ''} {self.study_description or self.study_instance_uid}"


class Series(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="series")
    series_instance_uid = models.CharField(max_length=64, unique=True)
    modality = models.CharField(max_length=16, blank=True, db_index=True)
    series_number = models.IntegerField(null=True, blank=True)
    series_description = models.CharField(max_length=64, blank=True)
    body_part = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["series_number", "id"]

    def __str__(self) -> str:
        return f"{self.modality} {self.series_number} {self.series_description}"


class Instance(models.Model):
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="instances")
    sop_instance_uid = models.CharField(max_length=64, unique=True)
    sop_class_uid = models.CharField(max_length=64)
    transfer_syntax_uid = models.CharField(max_length=64)
    instance_number = models.IntegerField(null=True, blank=True)
    rows = models.IntegerField(null=True, blank=True)
    columns = models.IntegerField(null=True, blank=True)
    number_of_frames = models.IntegerField(default=1)
    bits_allocated = models.IntegerField(null=True, blank=True)
    blob_key = models.CharField(max_length=64, db_index=True)
    # Keyed hash of the data set without its file meta: what "the same content" means
    # when the same instance arrives by another door (C-STORE rewrites the file meta).
    dataset_digest = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField()
    source = models.CharField(max_length=10, choices=Source.choices)
    sender = models.CharField(max_length=150, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("instance")
        verbose_name_plural = _("instances")
        ordering = ["instance_number", "id"]

    def __str__(self) -> str:
        return self.sop_instance_uid


class QuarantinedItem(models.Model):
    """Input refused by ingest, kept (encrypted) with its reason for an administrator."""

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    sender = models.CharField(max_length=150, blank=True)
    institution = models.ForeignKey(Institution, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=32, db_index=True)
    message = models.TextField()
    sop_instance_uid = models.CharField(max_length=64, blank=True)
    blob_key = models.CharField(max_length=64)
    size = models.BigIntegerField()

    class Meta:
        verbose_name = _("quarantined DICOM input")
        verbose_name_plural = _("quarantined DICOM inputs")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reason}: {self.message[:60]}"


class StudyShare(models.Model):
    """A study attached to a consultation: its specialist may read it while the grant lasts."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="shares")
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="study_shares")
    shared_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Attached although the study's patient differs from the consultation's (the clinic
    # doctor confirmed with a reason): which identity fields differ, and why it was accepted.
    identity_mismatch = models.JSONField(_("identity fields that differ"), default=list,
                                         blank=True)
    mismatch_reason = EncryptedTextField(_("reason the mismatch was accepted"), blank=True)

    class Meta:
        verbose_name = _("study attached to a consultation")
        verbose_name_plural = _("studies attached to a consultation")
        constraints = [models.UniqueConstraint(fields=["study", "consultation"],
                                               name="one_share_per_consultation")]

    def __str__(self) -> str:
        return f"{self.study_id} → {self.consultation_id}"


class DeidentifiedCopy(models.Model):
    """A de-identified copy of a study made for use outside its consultation."""

    source_study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+")
    copy = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="deid_origin")
    target_institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                           related_name="+")
    purpose = models.CharField(max_length=200)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("de-identified copy")
        verbose_name_plural = _("de-identified copies")

    def __str__(self) -> str:
        return f"{self.source_study_id} → {self.copy_id} ({self.purpose})"
