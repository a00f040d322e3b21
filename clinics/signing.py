"""Ed25519 signing keys of doctors, signing and verifying bytes (reports, prescriptions).

Each workflow decides the canonical bytes of what it signs.
"""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clinics.models import Staff


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


def verify_bytes(public_key: bytes, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is ``public_key``'s Ed25519 signature over ``data``."""
    if not signature or not public_key:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(bytes(signature), data)
    except InvalidSignature:
        return False
    return True
