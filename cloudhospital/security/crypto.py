"""AES-256-GCM envelopes with key ids, and keyed hashes for look-ups.

An envelope is ``b"CHE1" | len(key_id) | key_id | nonce(12) | ciphertext+tag``. The key id
travels with the data so that keys can rotate: new data is written with the active key,
old data stays readable while its key is configured, and ``rotate_keys`` re-encrypts it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"CHE1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """The envelope is malformed, its key is unknown, or it was tampered with."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    active_id: str
    lookup_key: bytes

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_id]


def _parse_keys(spec: str) -> dict[str, bytes]:
    keys = {}
    for item in spec.split(","):
        if not item.strip():
            continue
        key_id, _, b64 = item.strip().partition(":")
        raw = base64.b64decode(b64)
        if len(raw) != 32 or not key_id:
            raise ImproperlyConfigured(f"encryption key {key_id!r} must be 32 bytes (base64)")
        keys[key_id] = raw
    return keys


def _dev_secrets() -> dict:
    """Generate development keys once into DATA_DIR/secrets.json (mode 0600, never committed).

    Several processes (daphne, worker, listener) may start together: each writes a private
    temp file and hard-links it into place, which fails for all but the first, so every
    process reads the same keys.
    """
    path = settings.DATA_DIR / "secrets.json"
    if not path.exists():
        data = {
            "encryption_keys": f"k1:{base64.b64encode(os.urandom(32)).decode()}",
            "active": "k1",
            "lookup_hash_key": secrets.token_urlsafe(32),
        }
        tmp = path.with_name(f".secrets.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race; use its keys
        finally:
            os.unlink(tmp)
    return json.loads(path.read_text())


@lru_cache(maxsize=8)
def _build_keyring(spec: str, active: str, lookup: str, data_dir: str) -> Keyring:
    if not spec:
        dev = _dev_secrets()
        spec, active, lookup = dev["encryption_keys"], dev["active"], dev["lookup_hash_key"]
    keys = _parse_keys(spec)
    active = active or next(iter(keys))
    if active not in keys:
        raise ImproperlyConfigured(f"ENCRYPTION_ACTIVE_KEY {active!r} is not in ENCRYPTION_KEYS")
    if not lookup:
        raise ImproperlyConfigured("LOOKUP_HASH_KEY is required when ENCRYPTION_KEYS is set")
    return Keyring(keys=keys, active_id=active, lookup_key=lookup.encode())


def keyring() -> Keyring:
    return _build_keyring(settings.ENCRYPTION_KEYS, settings.ENCRYPTION_ACTIVE_KEY,
                          settings.LOOKUP_HASH_KEY, str(settings.DATA_DIR))


def encrypt(plaintext: bytes, associated_data: bytes = b"") -> bytes:
    ring = keyring()
    key_id = ring.active_id.encode()
    nonce = os.urandom(NONCE_BYTES)
    body = AESGCM(ring.active_key).encrypt(nonce, plaintext, associated_data or None)
    return MAGIC + bytes([len(key_id)]) + key_id + nonce + body


def envelope_key_id(envelope: bytes) -> str:
    if not envelope.startswith(MAGIC) or len(envelope) < len(MAGIC) + 1:
        raise DecryptionError("not a CloudHospital envelope")
    length = envelope[len(MAGIC)]
    return envelope[len(MAGIC) + 1 : len(MAGIC) + 1 + length].decode()


def decrypt(envelope: bytes, associated_data: bytes = b"") -> bytes:
    key_id = envelope_key_id(envelope)
    key = keyring().keys.get(key_id)
    if key is None:
        raise DecryptionError(f"key {key_id!r} is not configured")
    start = len(MAGIC) + 1 + len(key_id.encode())
    nonce, body = envelope[start : start + NONCE_BYTES], envelope[start + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, associated_data or None)
    except Exception as exc:  # cryptography raises InvalidTag; keep one error type for callers
        raise DecryptionError("authentication failed: data altered or wrong key") from exc


def needs_rotation(envelope: bytes) -> bool:
    return envelope_key_id(envelope) != keyring().active_id


def encrypt_text(value: str) -> str:
    return base64.b64encode(encrypt(value.encode("utf-8"))).decode("ascii")


def decrypt_text(token: str) -> str:
    return decrypt(base64.b64decode(token)).decode("utf-8")


def lookup_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised identifier, so it can be found without decrypting."""
    normalised = value.strip().upper().encode("utf-8")
    return hmac.new(keyring().lookup_key, normalised, hashlib.sha256).hexdigest()


def keyed_hash(label: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under the look-up key, separated by ``label`` so that equal
    values in different columns (a name, a name prefix, a birth date) give unrelated
    hashes. The caller normalises ``value``; nothing is changed here."""
    message = label.encode("utf-8") + b"\x1f" + value.encode("utf-8")
    return hmac.new(keyring().lookup_key, message, hashlib.sha256).hexdigest()
