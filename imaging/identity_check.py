"""Never another patient's images: a study attached to a consultation must name the
consultation's patient.

The study's Patient ID, name, birth date and sex (as the modality wrote them, decrypted
from the imaging index) are compared with the registry patient. Any difference, or a
value the study leaves empty, refuses the attachment with ``409 patient_mismatch`` and
both identities side by side, unless the clinic doctor confirms with a reason; the
confirmation is audited and the share keeps the list of differing fields, so the
consultation shows a warning badge for as long as the study is attached.

Rules: Patient ID equals the patient's national ID number (case-insensitive); the name
equals the registry name in any component group (alphabetic, ideographic), ignoring
``^``, spaces and case, so ``孙^建华`` and ``SUN^JIANHUA=孙^建华`` match 孙建华 but
``SUN^JIANHUA`` alone does not (no romanisation is guessed); birth date and sex equal.
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

from clinics import identity as identity_rules
from cloudhospital.core.errors import Conflict, InvalidInput
from imaging import display

FIELDS = ("patient_id", "name", "birth_date", "sex")
MAX_REASON_CHARS = 500


class PatientMismatch(Conflict):
    code = "patient_mismatch"


def _plain(text: object) -> str:
    folded = unicodedata.normalize("NFKC", str(text or "")).upper()
    return "".join(ch for ch in folded if ch not in "^ ,.\u3000")


def differences(patient, dicom_patient) -> list[str]:
    """The identity fields in which the study's patient differs from ``patient``."""
    out = []
    if _plain(dicom_patient.patient_id) != _plain(patient.national_id) or not _plain(
            dicom_patient.patient_id):
        out.append("patient_id")
    groups = [_plain(g) for g in str(dicom_patient.patient_name or "").split("=")]
    if _plain(patient.name) not in [g for g in groups if g]:
        out.append("name")
    if display.parse_date(dicom_patient.birth_date) != patient.date_of_birth:
        out.append("birth_date")
    if str(dicom_patient.sex or "").strip().upper()[:1] != patient.sex:
        out.append("sex")
    return out


def identities(patient, dicom_patient) -> dict:
    """Both identities in the one shape used everywhere (name, 男/女, age, ID tail)."""
    return {"consultation_patient": identity_rules.patient_identity(patient),
            "study_patient": display.identity(dicom_patient.patient_name, dicom_patient.sex,
                                              dicom_patient.birth_date,
                                              dicom_patient.patient_id)}


def clean_reason(reason: object) -> str:
    text = " ".join(str(reason or "").split())
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInput(_("The reason is too long (at most %(n)d characters).")
                           % {"n": MAX_REASON_CHARS}, field="mismatch_reason")
    return text


def check(patient, dicom_patient, reason: object) -> tuple[list[str], str]:
    """(differing fields, cleaned reason); PatientMismatch when they differ and no reason."""
    fields = differences(patient, dicom_patient)
    text = clean_reason(reason)
    if fields and not text:
        raise PatientMismatch(
            _("The study's patient differs from the consultation's patient (%(fields)s). "
              "Confirm with a reason to attach it anyway.")
            % {"fields": ", ".join(label(f) for f in fields)},
            differences=fields, **identities(patient, dicom_patient))
    return fields, text


def label(field: str) -> str:
    return {"patient_id": _("patient ID"), "name": _("name"), "birth_date": _("birth date"),
            "sex": _("sex")}.get(field, field)
