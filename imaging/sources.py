"""Files, folders and zip archives as a stream of (name, bytes) for ingest.

Shared by the upload page and ``import_dicom``. Zip members are inflated one at a time in
chunks with running limits (never trusting the sizes a zip header claims): one member
stops past IMAGING_MAX_INSTANCE_BYTES, all members of one upload past
IMAGING_MAX_UPLOAD_INFLATED_BYTES, and the archive past IMAGING_MAX_UPLOAD_MEMBERS members, so a
zip bomb costs at most one member's budget. DICOMDIR index files and folders are skipped
(they are not instances).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from imaging import budget

SKIP_NAMES = {"DICOMDIR"}


class TooLarge(budget.OverBudget):
    pass


def is_zip(head: bytes) -> bool:
    return head[:4] == b"PK\x03\x04"


def from_zip(fileobj, label: str, total: budget.Counter | None = None
             ) -> Iterator[tuple[str, bytes]]:
    total = total or upload_total()
    members = 0
    with zipfile.ZipFile(fileobj) as archive:
        for info in archive.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            if info.is_dir() or name in SKIP_NAMES or name.startswith("."):
                continue
            members += 1
            if members > budget.limit("IMAGING_MAX_UPLOAD_MEMBERS"):
                raise TooLarge(f"{label} has more members than IMAGING_MAX_UPLOAD_MEMBERS "
                               f"({budget.limit('IMAGING_MAX_UPLOAD_MEMBERS')})")
            with archive.open(info) as member:
                data = _read_member(member, f"{label}:{info.filename}", total)
            yield f"{label}:{info.filename}", data


def _read_member(member, name: str, total: budget.Counter) -> bytes:
    cap = budget.limit("IMAGING_MAX_INSTANCE_BYTES")
    chunks, size = [], 0
    while chunk := member.read(min(budget.CHUNK, cap + 1 - size)):
        size += len(chunk)
        if size > cap:
            raise TooLarge(budget.refuse("IMAGING_MAX_INSTANCE_BYTES", name).message)
        total.add(len(chunk))
        chunks.append(chunk)
    return b"".join(chunks)


def upload_total() -> budget.Counter:
    """The running total of inflated bytes of one upload (all its files and members)."""
    return budget.Counter("IMAGING_MAX_UPLOAD_INFLATED_BYTES", "the inflated upload",
                          TooLarge)


def from_upload(fileobj, name: str, size: int, total: budget.Counter | None = None
                ) -> Iterator[tuple[str, bytes]]:
    """One uploaded file (Django keeps large ones on disk): a zip is inflated member by
    member from the file, anything else is read only if within the instance limit."""
    head = fileobj.read(4)
    fileobj.seek(0)
    if is_zip(head):
        yield from from_zip(fileobj, name, total)
        return
    if size > budget.limit("IMAGING_MAX_INSTANCE_BYTES"):
        raise TooLarge(budget.refuse("IMAGING_MAX_INSTANCE_BYTES", name).message)
    yield name, fileobj.read()


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
                fh.seek(0)
                try:
                    data = budget.read_limited(fh, "IMAGING_MAX_INSTANCE_BYTES", str(file))
                except budget.OverBudget as exc:
                    raise TooLarge(exc.message) from exc
            yield str(file), data


def count_paths(paths: list[str]) -> int:
    """How many files (not zip members) the paths hold, for a progress bar."""
    total = 0
    for raw in paths:
        path = Path(raw)
        total += sum(1 for p in path.rglob("*") if p.is_file()) if path.is_dir() else 1
    return total
