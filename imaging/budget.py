"""Budgets checked before the work they would cost (docs/security.md, "Limits").

Every check here reads headers, lengths or a bounded stream, never the decoded result:
a tiny file may claim a huge image (a Deflated data set of zeros, an RLE segment table,
a JPEG frame header), so the claim is measured against the budget first and the refusal
names the limit and its value. Each function is plain, so tests call it with one hostile
input.
"""

from __future__ import annotations

import struct
import zlib

from django.conf import settings
from django.utils.translation import gettext as _

from cloudhospital.core.errors import DomainError

CHUNK = 1 << 20


class OverBudget(Exception):
    """A claimed or measured size is over a named limit; ``code`` is the quarantine reason."""

    code = "over_budget"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TooLargeBody(DomainError):
    """A request body over its limit (413), refused before it is read."""

    status = 413
    code = "too_large"


def body_refusal(meta, name: str) -> TooLargeBody | None:
    """The Content-Length against the limit named ``name``, before a byte is read. A body
    without a length (chunked) is bounded while it streams by ``imaging.bodyguard``."""
    raw = meta.get("CONTENT_LENGTH") or ""
    try:
        length = int(raw) if raw else None
    except ValueError:
        length = -1
    if length is not None and not 0 <= length <= limit(name):
        return TooLargeBody(_("The request body is larger than %(name)s (%(limit)d bytes).")
                            % {"name": name, "limit": limit(name)})
    return None


class HeaderMismatch(ValueError):
    """A compressed frame's own header disagrees with the data set (or is impossible)."""


def limit(name: str) -> int:
    return int(getattr(settings, name))


def refuse(name: str, what: str, unit: str = "bytes") -> OverBudget:
    return OverBudget(f"{what} exceeds {name} ({limit(name)} {unit})")


# --- decoded pixel size -------------------------------------------------------------------

def decoded_bytes(rows: int, columns: int, samples: int, bits: int, frames: int = 1) -> int:
    return rows * columns * samples * ((bits + 7) // 8) * frames


def check_decoded(rows: int, columns: int, samples: int, bits: int, frames: int) -> int:
    """Rows x Columns x Samples x Bits Allocated/8 x Frames against the decode budget."""
    size = decoded_bytes(rows, columns, samples, bits, frames)
    name = "IMAGING_MAX_DECODED_BYTES"
    if size > limit(name):
        raise OverBudget(f"decoded pixel data would be {size} bytes ({rows}x{columns}, "
                         f"{samples} samples, {bits} bits, {frames} frames), over {name} "
                         f"({limit(name)} bytes)")
    return size


# --- Deflated Explicit VR Little Endian: inflate with a running limit ------------------------

def check_inflated_size(deflated: bytes, name: str = "IMAGING_MAX_DECODED_BYTES",
                        parse_copies: int = 1) -> int:
    """Inflate (raw deflate, PS3.5 A.5) chunk by chunk, keeping nothing, and stop as soon as
    the output passes the limit (divided by the copies a parser will hold): a 150 KB stream
    of zeros inflating to 300 MB is refused after at most ``limit`` bytes of work and
    ``CHUNK`` bytes of memory."""
    cap = limit(name) // parse_copies
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    total, pending = 0, deflated
    while True:
        out = inflater.decompress(pending, CHUNK)
        total += len(out)
        if total > cap:
            raise _inflated(name, parse_copies)
        pending = inflater.unconsumed_tail
        if not out and not pending:
            break
    total += len(inflater.flush())
    if total > cap:
        raise _inflated(name, parse_copies)
    return total


def _inflated(name: str, copies: int) -> OverBudget:
    held = "" if copies == 1 else f" (held {copies} times while parsed)"
    return refuse(name, f"the inflated data set{held}")


# --- RLE Lossless (PS3.5 Annex G): the segment table, without decoding -----------------------

def check_rle_frame(frame: bytes, rows: int, columns: int, samples: int, bits: int) -> None:
    """The 64-byte RLE header must list samples x bytes-per-sample segments, at increasing
    offsets inside the frame, each long enough to decode to Rows x Columns bytes (an RLE
    run of two bytes yields at most 128, so a segment needs >= 2 x ceil(pixels / 128))."""
    if len(frame) < 64:
        raise HeaderMismatch("RLE frame shorter than its 64-byte header")
    header = struct.unpack("<16L", frame[:64])
    count, offsets = header[0], list(header[1:])
    expected = samples * ((bits + 7) // 8)
    if count != expected:
        raise HeaderMismatch(f"RLE header lists {count} segments; {samples} samples of {bits} "
                         f"bits need {expected}")
    used = offsets[:count] + [len(frame)]
    if used[0] != 64:
        raise HeaderMismatch("the first RLE segment does not follow the header")
    pixels = rows * columns
    minimum = 2 * -(-pixels // 128)
    for start, end in zip(used, used[1:], strict=False):
        if not start < end <= len(frame):
            raise HeaderMismatch("RLE segment offsets are out of order or past the frame")
        if end - start < minimum:
            raise HeaderMismatch(f"an RLE segment of {end - start} bytes cannot hold "
                             f"{rows}x{columns} pixels")


# --- JPEG family: the frame header's dimensions, without decoding ----------------------------

# Start Of Frame markers of ISO 10918-1 (baseline, extended, progressive, lossless; not
# DHT 0xC4, JPG 0xC8, DAC 0xCC) and of JPEG-LS (SOF55, 0xF7).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7}


def jpeg_dimensions(data: bytes) -> tuple[int, int, int]:
    """(rows, columns, components) from the SOF segment of a JPEG or JPEG-LS stream."""
    if data[:2] != b"\xff\xd8":
        raise HeaderMismatch("not a JPEG stream (no SOI marker)")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise HeaderMismatch("JPEG marker expected")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in _SOF:
            if pos + 10 > len(data):
                break
            rows, columns = struct.unpack(">HH", data[pos + 5:pos + 9])
            return rows, columns, data[pos + 9]
        if marker == 0xDA or length < 2:  # scan data before any frame header
            break
        pos += 2 + length
    raise HeaderMismatch("no JPEG frame header (SOF) found")


def j2k_dimensions(data: bytes) -> tuple[int, int, int]:
    """(rows, columns, components) from the SIZ segment of a JPEG 2000 codestream (ISO
    15444-1 A.5.1), bare or inside a JP2 file."""
    pos = data.find(b"\xff\x4f\xff\x51")
    if pos < 0 or pos + 42 > len(data):
        raise HeaderMismatch("no JPEG 2000 codestream header (SOC, SIZ) found")
    xsiz, ysiz, xosiz, yosiz = struct.unpack(">LLLL", data[pos + 8:pos + 24])
    (components,) = struct.unpack(">H", data[pos + 40:pos + 42])
    return ysiz - yosiz, xsiz - xosiz, components


def check_frame_header(kind: str, frame: bytes, rows: int, columns: int, samples: int,
                       bits: int) -> None:
    """A compressed frame's own header must agree with Rows, Columns and Samples, so a
    decoder never sizes its output from a header the data set did not budget for."""
    if kind == "rle":
        check_rle_frame(frame, rows, columns, samples, bits)
        return
    found = j2k_dimensions(frame) if kind == "j2k" else jpeg_dimensions(frame)
    if found[:2] != (rows, columns) or found[2] != samples:
        raise HeaderMismatch(f"the {kind.upper()} frame header says {found[0]}x{found[1]} with "
                         f"{found[2]} components; the data set says {rows}x{columns} with "
                         f"{samples} samples")


# --- streams read with a running limit -----------------------------------------------------

def read_limited(fileobj, name: str, what: str, cap: int | None = None) -> bytes:
    """Read a stream in chunks and stop just past the limit (never trusting a declared
    size, e.g. a zip header)."""
    cap = limit(name) if cap is None else cap
    chunks, total = [], 0
    while True:
        chunk = fileobj.read(min(CHUNK, cap + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > cap:
            raise refuse(name, what)
        chunks.append(chunk)


class Counter:
    """A running total across several reads (e.g. every member of one upload)."""

    def __init__(self, name: str, what: str, error: type[OverBudget] = OverBudget):
        self.name, self.what, self.total, self.error = name, what, 0, error

    def add(self, n: int) -> None:
        self.total += n
        if self.total > limit(self.name):
            raise self.error(refuse(self.name, self.what).message)
