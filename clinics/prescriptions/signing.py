"""The doctor's Ed25519 signature over a canonical JSON of the prescription.

Keys, signing and verifying bytes are clinics/signing.py's; what is signed here is
everything a pharmacist or a patient relies on: patient, diagnosis, institution, the
doctor's real name and licence number, every Rp. line, the long-term and guardian
flags, the note and the signing time. Change any of them and ``verify`` says so.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from clinics.prescriptions.models import Prescription
from clinics.signing import ensure_signing_key, sign, verify_bytes

__all__ = ["canonical_bytes", "ensure_signing_key", "fingerprint", "sign", "verify"]


def canonical_payload(rx: Prescription) -> dict[str, Any]:
    doctor, patient = rx.doctor, rx.patient
    return {
        "prescription": str(rx.id),
        "institution": rx.institution.name,
        "patient": {"id": patient.pk, "name": patient.name, "sex": patient.sex,
                    "date_of_birth": patient.date_of_birth.isoformat()},
        "diagnosis": {"icd10": rx.diagnosis.icd10, "name": rx.diagnosis.name},
        "plan": rx.plan_id,
        "visit": rx.visit_id,
        "renewal_request": rx.renewal_request_id,
        "doctor": doctor.user.get_username(),
        "doctor_name": doctor.real_name,
        "licence_number": doctor.licence_number,
        "items": [{"drug": i.drug.code, "name": i.drug.name, "strength": i.drug.strength,
                   "form": i.drug.form, "dose": format(i.dose.normalize(), "f"), "unit": i.unit,
                   "frequency": i.frequency, "route": i.route, "days": i.days,
                   "quantity": i.quantity, "package_unit": i.drug.package_unit}
                  for i in rx.items.select_related("drug").order_by("position")],
        "long_term": rx.long_term,
        "guardian_present": rx.guardian_present,
        "note": rx.note,
        "created_at": rx.created_at.isoformat(),
        "signed_at": rx.signed_at.isoformat() if rx.signed_at else None,
    }


def canonical_bytes(rx: Prescription) -> bytes:
    """Sorted keys, no spaces, UTF-8: the exact bytes that are signed."""
    return json.dumps(canonical_payload(rx), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def fingerprint(rx: Prescription) -> str:
    """A short digest of the signed content, printed on the paper and the verify page."""
    return hashlib.sha256(canonical_bytes(rx)).hexdigest()[:16].upper()


def verify(rx: Prescription) -> bool:
    """True when the stored signature matches the prescription's current content."""
    if not rx.signature or not rx.signer_public_key:
        return False
    return verify_bytes(bytes(rx.signer_public_key), bytes(rx.signature), canonical_bytes(rx))
