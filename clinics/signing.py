"""Ed25519 signatures over a canonical serialisation of a consultation report."""

from __future__ import annotations

import base64
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clinics.models import Report, Staff


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


def ensure_signing_key(staff: Staff) -> None:
    """Give a specialist an Ed25519 key pair; the private half is encrypted at rest."""
    if staff.signing_public_key:
        return
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(serialization.Encoding.Raw,
                                        serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    staff.signing_private_key = base64.b64encode(raw_private).decode()
    staff.signing_public_key = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    staff.save(update_fields=["signing_private_key", "signing_public_key"])


def sign(staff: Staff, data: bytes) -> bytes:
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(staff.signing_private_key))
    return private.sign(data)


def verify(report: Report) -> bool:
    """True when the stored signature matches the report's current content."""
    if not report.signature or not report.signer_public_key:
        return False
    key = Ed25519PublicKey.from_public_bytes(bytes(report.signer_public_key))
    try:
        key.verify(bytes(report.signature), canonical_bytes(report))
    except InvalidSignature:
        return False
    return True
