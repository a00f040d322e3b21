"""The one ingest function every door calls: parse → validate → store → index, or quarantine.

Order matters for crash safety. The bytes are made durable in the blob store first
(atomic rename, fsync); the index rows are then written in one transaction. A crash
before the commit leaves at most an unreferenced blob (content-addressed, so a resend
reuses it) and never an index row without its bytes; a sender is told "stored" only
after the commit, so nothing acknowledged is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from pydicom.dataset import Dataset

from clinics.models import Institution
from imaging import store, validate
from imaging.models import DicomPatient, Instance, QuarantinedItem, Series, Study

log = logging.getLogger(__name__)

STORED, DUPLICATE, QUARANTINED = "stored", "duplicate", "quarantined"

# The PS3.4 / PS3.7 status a sender gets for each quarantine reason (C-STORE Status and
# STOW-RS Failure Reason share these codes).
FAILURE_STATUS = {"unsupported_sop_class": 0x0122, "conflict": 0x0110,
                  "study_mismatch": 0xA900, "over_budget": 0xA700}
CANNOT_UNDERSTAND = 0xC000


def failure_status(reason: str) -> int:
    return FAILURE_STATUS.get(reason, CANNOT_UNDERSTAND)


@dataclass
class Outcome:
    status: str
    sop_instance_uid: str = ""
    sop_class_uid: str = ""
    study_instance_uid: str = ""
    reason: str = ""
    message: str = ""
    instance: Instance | None = None
    quarantined: QuarantinedItem | None = None

    @property
    def ok(self) -> bool:
        return self.status in (STORED, DUPLICATE)


class _Conflict(Exception):
    pass


class QuarantineQuota:
    """How many quarantine rows one request may still create
    (IMAGING_MAX_QUARANTINE_PER_REQUEST): 20,000 one-byte STOW parts must not become
    20,000 rows and blobs. Past it a refusal is answered but its bytes are not kept."""

    def __init__(self, limit: int | None = None):
        self.left = settings.IMAGING_MAX_QUARANTINE_PER_REQUEST if limit is None else limit
        self.dropped = 0

    def take(self) -> bool:
        if self.left > 0:
            self.left -= 1
            return True
        self.dropped += 1
        return False


def ingest_instance(data: bytes, *, institution: Institution, source: str,
                    sender: str = "", quota: QuarantineQuota | None = None) -> Outcome:
    """Accept one instance from ``institution`` (its owner) or quarantine it with a reason."""
    try:
        ds, stored = validate.parse(data)
        validate.check(ds)
    except validate.Invalid as exc:
        return quarantine(data, institution=institution, source=source, sender=sender,
                          reason=exc.code, message=exc.message,
                          sop_instance_uid=exc.sop_instance_uid, quota=quota)
    ids = dict(sop_instance_uid=str(ds.SOPInstanceUID), sop_class_uid=str(ds.SOPClassUID),
               study_instance_uid=str(ds.StudyInstanceUID))
    digest = store.dataset_digest(stored)
    earlier = _existing(ids["sop_instance_uid"], digest, institution)
    if earlier is not None:
        return _repeat(earlier, data, institution, source, sender, ids, quota)
    key = store.put(stored)
    try:
        with transaction.atomic():
            instance = _index(ds, key, digest, len(stored), institution, source, sender)
    except IntegrityError:
        # Another association indexed the same SOP Instance UID between our check and
        # our insert: decide again against what won.
        earlier = _existing(ids["sop_instance_uid"], digest, institution)
        if earlier is None:
            raise
        return _repeat(earlier, data, institution, source, sender, ids, quota)
    except _Conflict as exc:
        return quarantine(data, institution=institution, source=source, sender=sender,
                          reason="conflict", message=str(exc),
                          sop_instance_uid=ids["sop_instance_uid"], quota=quota)
    return Outcome(STORED, instance=instance, **ids)


def _existing(sop_uid: str, digest: str, institution: Institution
              ) -> tuple[Instance, bool] | None:
    """The instance already indexed under this SOP Instance UID, and whether the new one
    is the same (same data set, same owner)."""
    instance = (Instance.objects.select_related("series__study")
                .filter(sop_instance_uid=sop_uid).first())
    if instance is None:
        return None
    same = (instance.dataset_digest == digest
            and instance.series.study.institution_id == institution.pk)
    if not instance.dataset_digest:  # indexed before digests existed: compare the data set
        same = (store.dataset_digest(store.get(instance.blob_key)) == digest
                and instance.series.study.institution_id == institution.pk)
    return instance, same


def _repeat(earlier, data, institution, source, sender, ids, quota=None) -> Outcome:
    instance, same = earlier
    if same:
        return Outcome(DUPLICATE, instance=instance, **ids)
    return quarantine(data, institution=institution, source=source, sender=sender,
                      reason="conflict", message="an instance with this SOP Instance UID and "
                      "different content is already stored",
                      sop_instance_uid=ids["sop_instance_uid"], quota=quota)


def quarantine(data: bytes, *, institution: Institution | None, source: str, sender: str,
               reason: str, message: str, sop_instance_uid: str = "",
               quota: QuarantineQuota | None = None) -> Outcome:
    """Keep the refused bytes (encrypted) and why, for an administrator to look at."""
    if quota is not None and not quota.take():
        if quota.dropped == 1:
            log.warning("request from %s passed IMAGING_MAX_QUARANTINE_PER_REQUEST; further "
                        "refused input is answered but not kept", sender)
        return Outcome(QUARANTINED, sop_instance_uid=sop_instance_uid, reason=reason,
                       message=message)
    key = store.put(data, "quarantine")
    item = QuarantinedItem.objects.create(
        source=source, sender=sender[:150], institution=institution, reason=reason,
        message=message[:2000], sop_instance_uid=sop_instance_uid[:64], blob_key=key,
        size=len(data))
    log.warning("quarantined %s from %s (%s): %s", sop_instance_uid or "input", sender,
                reason, message)
    return Outcome(QUARANTINED, sop_instance_uid=sop_instance_uid, reason=reason,
                   message=message, quarantined=item)


def _text(ds: Dataset, keyword: str, length: int) -> str:
    value = ds.get(keyword, "")
    return ("" if value is None else str(value)).strip()[:length]


def _int(ds: Dataset, keyword: str) -> int | None:
    try:
        value = ds.get(keyword)
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _date(value: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value[:8], "%Y%m%d").date()  # noqa: DTZ007 - a date
    except ValueError:
        return None


def _index(ds: Dataset, key: str, digest: str, size: int, institution: Institution,
           source: str, sender: str) -> Instance:
    patient = DicomPatient.objects.index(
        institution, patient_id=_text(ds, "PatientID", 64),
        patient_name=_text(ds, "PatientName", 324),
        birth_date=_text(ds, "PatientBirthDate", 8), sex=_text(ds, "PatientSex", 16))
    study, created = Study.objects.get_or_create(
        study_instance_uid=str(ds.StudyInstanceUID), defaults=dict(
            institution=institution, patient=patient,
            study_date=_date(_text(ds, "StudyDate", 8)), study_time=_text(ds, "StudyTime", 16),
            accession_number=_text(ds, "AccessionNumber", 16), study_id=_text(ds, "StudyID", 16),
            study_description=_text(ds, "StudyDescription", 64),
            referring_physician=_text(ds, "ReferringPhysicianName", 324)))
    if not created and study.institution_id != institution.pk:
        raise _Conflict("this Study Instance UID belongs to another institution")
    series, _ = Series.objects.get_or_create(
        series_instance_uid=str(ds.SeriesInstanceUID), defaults=dict(
            study=study, modality=_text(ds, "Modality", 16),
            series_number=_int(ds, "SeriesNumber"),
            series_description=_text(ds, "SeriesDescription", 64),
            body_part=_text(ds, "BodyPartExamined", 16)))
    if series.study_id != study.pk:
        raise _Conflict("this Series Instance UID belongs to another study")
    meta = getattr(ds, "file_meta", None)
    return Instance.objects.create(
        series=series, sop_instance_uid=str(ds.SOPInstanceUID), sop_class_uid=str(ds.SOPClassUID),
        transfer_syntax_uid=str(meta.TransferSyntaxUID) if meta is not None else "",
        instance_number=_int(ds, "InstanceNumber"), rows=_int(ds, "Rows"),
        columns=_int(ds, "Columns"), number_of_frames=_int(ds, "NumberOfFrames") or 1,
        bits_allocated=_int(ds, "BitsAllocated"), blob_key=key, dataset_digest=digest,
        size=size, source=source, sender=sender[:150])
