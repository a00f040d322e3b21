"""STOW-RS (PS3.18 §10.5): store the application/dicom parts of a multipart/related body.

Each part goes through ``ingest.ingest_instance`` like every other door; the answer is
the Store Instances Response Module (PS3.18 Table 10.5.3-2): ReferencedSOPSequence for
what was stored, FailedSOPSequence with a Failure Reason for what was not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imaging import ingest, validate
from imaging.dicomweb.dicomjson import attribute
from imaging.dicomweb.multipart import media_params
from imaging.models import Source


@dataclass
class StowResult:
    stored: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)

    @property
    def status(self) -> int:
        """200 all stored, 202 some failed, 409 none stored (PS3.18 Table 10.5.3-1)."""
        if not self.failed:
            return 200
        return 202 if self.stored else 409

    def response(self, retrieve_url: str = "") -> dict:
        out = {}
        if retrieve_url:
            out.update([attribute("RetrieveURL", retrieve_url)])
        if self.failed:
            out["00081198"] = {"vr": "SQ", "Value": self.failed}
        if self.stored:
            out["00081199"] = {"vr": "SQ", "Value": self.stored}
        return out


def _item(sop_class: str, sop_uid: str, **extra) -> dict:
    item = dict([attribute("ReferencedSOPClassUID", sop_class),
                 attribute("ReferencedSOPInstanceUID", sop_uid)])
    for keyword, value in extra.items():
        item.update([attribute(keyword, value)])
    return item


def store_parts(parts, *, institution, sender: str, base_url: str,
                study_uid: str | None = None) -> StowResult:
    result = StowResult()
    quota = ingest.QuarantineQuota()
    for headers, payload in parts:
        kind, _ = media_params(headers.get("content-type", "application/dicom"))
        if kind != "application/dicom":
            result.failed.append(_item("", "", FailureReason=0xC000))
            continue
        outcome = _store_one(payload, institution, sender, study_uid, quota)
        if outcome.ok:
            url = (f"{base_url}/studies/{outcome.study_instance_uid}/series/"
                   f"{outcome.instance.series.series_instance_uid}/instances/"
                   f"{outcome.sop_instance_uid}")
            result.stored.append(_item(outcome.sop_class_uid, outcome.sop_instance_uid,
                                       RetrieveURL=url))
        else:
            result.failed.append(_item(outcome.sop_class_uid, outcome.sop_instance_uid,
                                       FailureReason=ingest.failure_status(outcome.reason)))
    return result


def _store_one(payload: bytes, institution, sender: str, study_uid: str | None, quota):
    if study_uid:
        try:
            ds, _ = validate.parse(payload)
            actual = str(ds.get("StudyInstanceUID", ""))
        except validate.Invalid:
            actual = study_uid  # let ingest quarantine it with the real reason
        if actual != study_uid:
            return ingest.quarantine(
                payload, institution=institution, source=Source.STOW, sender=sender,
                reason="study_mismatch", sop_instance_uid=str(ds.get("SOPInstanceUID", "")),
                message=f"instance of study {actual} posted to study {study_uid}",
                quota=quota)
    return ingest.ingest_instance(payload, institution=institution, source=Source.STOW,
                                  sender=sender, quota=quota)
