"""Hostile inputs, built small: files that claim far more than they carry.

Each builder streams what it claims (zeros through zlib, runs of RLE), so the test process
never holds the claimed size itself. ``peak_rss_growth`` measures a process's high-water
mark (VmHWM, reset through /proc/PID/clear_refs) around a piece of work.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import pydicom
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import DeflatedExplicitVRLittleEndian, JPEGBaseline8Bit, RLELossless

from tests.imaging.dicomfiles import encode, sample, synthetic

MiB = 1024**2


def _header_only(rows: int, columns: int, bits: int) -> Dataset:
    ds = synthetic(rows=2, columns=2, bits=bits, signed=False)
    del ds.PixelData
    ds.Rows, ds.Columns = rows, columns
    return ds


def deflated_zeros(rows: int, columns: int, bits: int = 16) -> bytes:
    """A Deflated Explicit VR Little Endian Part 10 file whose Pixel Data is
    rows x columns x bits/8 zero bytes, deflated in 1 MiB steps (a few hundred KB)."""
    ds = _header_only(rows, columns, bits)
    meta = ds.file_meta
    meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    body = Dataset()
    body.update({elem.tag: elem for elem in ds})
    plain = io.BytesIO()
    body.save_as(plain, implicit_vr=False, little_endian=True)
    size = rows * columns * (bits // 8)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    out = io.BytesIO()
    out.write(b"\x00" * 128 + b"DICM")
    write_file_meta_info(out, meta, enforce_standard=True)
    out.write(compressor.compress(plain.getvalue()))
    out.write(compressor.compress(struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OW", 0, size)))
    zeros = bytes(MiB)
    for _ in range(size // MiB):
        out.write(compressor.compress(zeros))
    out.write(compressor.compress(bytes(size % MiB)))
    out.write(compressor.flush())
    return out.getvalue()


def _encapsulated(ds: Dataset, syntax: str, frame: bytes) -> bytes:
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PixelData = encapsulate([frame])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return encode(ds)


def rle_bogus(rows: int = 16384, columns: int = 16384) -> bytes:
    """~1 KB: an RLE file claiming rows x columns 8-bit pixels; its one segment holds
    440 runs of 128 zeros (56 KB decoded, not 256 MiB)."""
    ds = _header_only(rows, columns, 8)
    ds.BitsStored, ds.HighBit = 8, 7
    segment = b"\x81\x00" * 440
    frame = struct.pack("<16L", 1, 64, *([0] * 14)) + segment
    return _encapsulated(ds, RLELossless, frame)


def jpeg_with_header(rows: int, columns: int, header_rows: int, header_columns: int) -> bytes:
    """A baseline JPEG instance declaring rows x columns whose frame header (SOF0) says
    header_rows x header_columns (the pixels are a real 64 x 64 JPEG)."""
    small = io.BytesIO()
    Image.new("L", (64, 64), 100).save(small, "JPEG")
    jpeg = bytearray(small.getvalue())
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5:sof + 9] = struct.pack(">HH", header_rows, header_columns)
    ds = _header_only(rows, columns, 8)
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 7, 0
    return _encapsulated(ds, JPEGBaseline8Bit, bytes(jpeg))


def j2k_with_header(columns: int, rows: int) -> bytes:
    """pydicom's JPEG2000.dcm with the codestream's SIZ saying columns x rows."""
    ds = pydicom.dcmread(io.BytesIO(sample("JPEG2000.dcm")))
    data = bytearray(ds.PixelData)
    siz = data.index(b"\xff\x4f\xff\x51")
    data[siz + 8:siz + 16] = struct.pack(">LL", columns, rows)
    ds.PixelData = bytes(data)
    return encode(ds)


def zip_bomb(path: Path, member_bytes: int, members: int = 1, name: str = "x.dcm") -> Path:
    """A zip whose members are each member_bytes of zeros, written in 1 MiB steps."""
    zeros = bytes(MiB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for i in range(members):
            with archive.open(f"{i}-{name}", "w", force_zip64=True) as member:
                for _ in range(member_bytes // MiB):
                    member.write(zeros)
                member.write(bytes(member_bytes % MiB))
    return path


def _hwm_kb(pid: int | str = "self") -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1))


def rss_kb(pid: int | str = "self") -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


@contextmanager
def peak_rss_growth(pid: int | str = "self"):
    """``with peak_rss_growth(pid) as growth: ...`` then ``growth()`` is the rise of the
    process's peak resident memory during the block, in bytes."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    start = rss_kb(pid)
    result = {}
    yield lambda: result["growth"]
    result["growth"] = (_hwm_kb(pid) - start) * 1024
