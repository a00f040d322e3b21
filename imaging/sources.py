"""Files, folders and zip archives as a stream of (name, bytes) for ingest.

Shared by the upload page and ``import_dicom``. Zip members are read one at a time and
refused above MAX_INSTANCE_BYTES, so a zip bomb cannot fill memory; DICOMDIR index
files and folders are skipped (they are not instances).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

MAX_INSTANCE_BYTES = 1 << 30
SKIP_NAMES = {"DICOMDIR"}


class TooLarge(Exception):
    pass


def is_zip(head: bytes) -> bool:
    return head[:4] == b"PK\x03\x04"


def from_zip(fileobj, label: str) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(fileobj) as archive:
        for info in archive.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            if info.is_dir() or name in SKIP_NAMES or name.startswith("."):
                continue
            if info.file_size > MAX_INSTANCE_BYTES:
                raise TooLarge(f"{label}:{info.filename} is larger than allowed")
            with archive.open(info) as member:
                data = member.read(MAX_INSTANCE_BYTES + 1)
            if len(data) > MAX_INSTANCE_BYTES:  # the header may understate the size
                raise TooLarge(f"{label}:{info.filename} is larger than allowed")
            yield f"{label}:{info.filename}", data


def from_bytes(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    if is_zip(data):
        yield from from_zip(io.BytesIO(data), name)
    else:
        yield name, data


def from_paths(paths: list[str]) -> Iterator[tuple[str, bytes]]:
    for raw in paths:
        path = Path(raw)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.name in SKIP_NAMES or file.name.startswith("."):
                continue
            with file.open("rb") as fh:
                if is_zip(fh.read(4)):
                    fh.seek(0)
                    yield from from_zip(fh, str(file))
                    continue
            yield str(file), file.read_bytes()


def count_paths(paths: list[str]) -> int:
    """How many files (not zip members) the paths hold, for a progress bar."""
    total = 0
    for raw in paths:
        path = Path(raw)
        total += sum(1 for p in path.rglob("*") if p.is_file()) if path.is_dir() else 1
    return total
