"""What a consultation report's signature covers, and checking it (keys: clinics/signing.py)."""

from __future__ import annotations

import json

from clinics import signing
from clinics.consultations.models import Report


def canonical_bytes(report: Report) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8, UTC times.

    Every field a reader relies on is inside, so changing any of them breaks the signature.
    """
    payload = {
        "consultation": str(report.consultation_id),
        "version": report.version,
        "author": report.author.user.get_username(),
        "author_name": report.author.real_name,
        "licence_number": report.author.licence_number,
        "findings": report.findings,
        "opinion": report.opinion,
        "recommendations": report.recommendations,
        "signed_at": report.signed_at.isoformat() if report.signed_at else None,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def verify(report: Report) -> bool:
    """True when the stored signature matches the report's current content."""
    return signing.verify_bytes(bytes(report.signer_public_key or b""),
                                bytes(report.signature or b""),
                                canonical_bytes(report))
