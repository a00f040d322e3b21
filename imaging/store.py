"""The encrypted, atomic, content-addressed blob store for DICOM bytes.

A blob's key is a keyed hash (HMAC-SHA256 with the look-up key) of its plaintext, so the
same bytes always land on the same file and a file name reveals nothing about content
without the key. Each file is an AES-256-GCM envelope (``cloudhospital.security.crypto``,
key id in its header) whose associated data is the key, so a file swapped under another
name fails to decrypt.

Writes are atomic: a temporary file in the same directory, fsync, rename, fsync of the
directory. A reader therefore sees either no file or the whole file, and the index rows
that point at a blob are committed only after ``put`` has returned.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
from pathlib import Path

from django.conf import settings

from cloudhospital.security import crypto, rotation

NAMESPACES = ("instances", "quarantine")


class BlobMissing(Exception):
    """The index points at a blob that is not in the store."""


def root() -> Path:
    return Path(settings.IMAGE_STORE_DIR)


def content_key(data: bytes) -> str:
    return hmac.new(crypto.keyring().lookup_key, data, hashlib.sha256).hexdigest()


def dataset_digest(part10: bytes) -> str:
    """Keyed hash of a Part 10 file's data set, skipping preamble and file meta group
    (whose group length is the first meta element), so re-wrapped copies compare equal."""
    if part10[128:132] == b"DICM" and part10[132:138] == b"\x02\x00\x00\x00UL":
        meta_length = int.from_bytes(part10[140:144], "little")
        return content_key(part10[144 + meta_length:])
    return content_key(part10)


def _path(namespace: str, key: str) -> Path:
    if namespace not in NAMESPACES or len(key) != 64 or not all(
            c in "0123456789abcdef" for c in key):
        raise ValueError("bad blob address")
    return root() / namespace / key[:2] / key[2:4] / key


def _write_atomic(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def put(data: bytes, namespace: str = "instances") -> str:
    """Store ``data`` (idempotent) and return its key; durable when this returns."""
    key = content_key(data)
    path = _path(namespace, key)
    if not path.exists():
        _write_atomic(path, crypto.encrypt(data, associated_data=key.encode()))
    return key


def get(key: str, namespace: str = "instances") -> bytes:
    try:
        envelope = _path(namespace, key).read_bytes()
    except FileNotFoundError as exc:
        raise BlobMissing(key) from exc
    return crypto.decrypt(envelope, associated_data=key.encode())


def exists(key: str, namespace: str = "instances") -> bool:
    return _path(namespace, key).exists()


def raw_path(key: str, namespace: str = "instances") -> Path:
    """Where the envelope lives (tests check it is not plaintext)."""
    return _path(namespace, key)


@rotation.register
def rotate_blobs() -> int:
    """Re-encrypt every blob not under the active key (``manage.py rotate_keys``)."""
    changed = 0
    for namespace in NAMESPACES:
        base = root() / namespace
        if not base.exists():
            continue
        for path in base.glob("*/*/*"):
            if path.name.startswith(".tmp-"):
                continue
            envelope = path.read_bytes()
            if not crypto.needs_rotation(envelope):
                continue
            aad = path.name.encode()
            _write_atomic(path, crypto.encrypt(crypto.decrypt(envelope, aad), aad))
            changed += 1
    return changed
