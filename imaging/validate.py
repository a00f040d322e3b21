"""What an acceptable instance is: parse the bytes, check identity and pixel geometry.

Kept apart from ``ingest`` so that every rule here is a plain function a test can call
with one broken input. Each failure is an ``Invalid`` with a short code (shown to
administrators in the quarantine and to senders as the failure reason).
"""

from __future__ import annotations

import io
import zlib

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import generate_frames
from pydicom.errors import InvalidDicomError
from pydicom.filereader import _read_file_meta_info, read_preamble
from pydicom.uid import (
    JPEG2000,
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)
from pynetdicom import sop_class

from imaging import budget

# The storage SOP classes of the issue: CT, Enhanced CT, MR, Enhanced MR, Secondary Capture.
STORAGE_CLASSES: tuple[UID, ...] = (
    sop_class.CTImageStorage,
    sop_class.EnhancedCTImageStorage,
    sop_class.LegacyConvertedEnhancedCTImageStorage,
    sop_class.MRImageStorage,
    sop_class.EnhancedMRImageStorage,
    sop_class.EnhancedMRColorImageStorage,
    sop_class.LegacyConvertedEnhancedMRImageStorage,
    sop_class.SecondaryCaptureImageStorage,
    sop_class.MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
    sop_class.MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
    sop_class.MultiFrameTrueColorSecondaryCaptureImageStorage,
)
NATIVE_SYNTAXES: tuple[UID, ...] = (
    ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
)
COMPRESSED_SYNTAXES: tuple[UID, ...] = (
    JPEGLosslessSV1, JPEGLossless, JPEGLSLossless, JPEGLSNearLossless, JPEG2000Lossless,
    JPEG2000, JPEGBaseline8Bit, JPEGExtended12Bit, RLELossless,
)
TRANSFER_SYNTAXES = NATIVE_SYNTAXES + COMPRESSED_SYNTAXES
# Which frame header each compressed syntax carries (checked before any decoder runs).
FRAME_HEADERS = {
    JPEGLosslessSV1: "jpeg", JPEGLossless: "jpeg", JPEGBaseline8Bit: "jpeg",
    JPEGExtended12Bit: "jpeg", JPEGLSLossless: "jpeg", JPEGLSNearLossless: "jpeg",
    JPEG2000Lossless: "j2k", JPEG2000: "j2k", RLELossless: "rle",
}
REQUIRED_UIDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID")


class Invalid(Exception):
    def __init__(self, code: str, message: str, sop_instance_uid: str = ""):
        super().__init__(message)
        self.code, self.message, self.sop_instance_uid = code, message, sop_instance_uid


def parse(data: bytes) -> tuple[Dataset, bytes]:
    """Read Part 10 bytes, or a bare dataset which is then wrapped as Part 10.

    Returns the dataset and the bytes to store: the input itself when it is a Part 10
    file (so retrieval is byte-identical), else the dataset encoded with a file meta.
    """
    if not data:
        raise Invalid("empty", "no data received")
    if len(data) > budget.limit("IMAGING_MAX_INSTANCE_BYTES"):
        raise Invalid("over_budget", budget.refuse("IMAGING_MAX_INSTANCE_BYTES",
                                                   f"an instance of {len(data)} bytes").message)
    _check_deflated(data)
    try:
        ds = pydicom.dcmread(io.BytesIO(data))
        part10 = True
    except InvalidDicomError:
        part10 = False
        try:
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
        except Exception as exc:  # pydicom raises many types on garbage
            raise Invalid("unparseable", f"not DICOM: {exc}") from exc
    except Exception as exc:
        raise Invalid("unparseable", f"cannot parse the DICOM file: {exc}") from exc
    try:
        ds.keys()
        # Touch every top-level element so that truncation or garbage surfaces now.
        for elem in ds:
            _ = elem.value
    except Exception as exc:
        raise Invalid("unparseable", f"cannot parse the DICOM data set: {exc}") from exc
    if len(ds) == 0 or "SOPInstanceUID" not in ds and "SOPClassUID" not in ds:
        raise Invalid("unparseable", "not a DICOM data set (no SOP attributes)")
    if part10:
        return ds, data
    return ds, _as_part10(ds)


def _check_deflated(data: bytes) -> None:
    """pydicom inflates a Deflated data set in one call, however large the result: measure
    the inflated size first, with a running limit, keeping nothing."""
    fp = io.BytesIO(data)
    try:
        if read_preamble(fp, force=True) is None:
            fp.seek(0)
        if data[fp.tell():fp.tell() + 2] != b"\x02\x00":
            return  # no file meta: not Deflated (that syntax needs a file meta)
        meta = _read_file_meta_info(fp)
    except Exception:  # noqa: S110 - unreadable meta: dcmread reports it with a reason
        return
    if meta.get("TransferSyntaxUID") != DeflatedExplicitVRLittleEndian:
        return
    try:  # pydicom holds the inflated data set twice while parsing it: half the budget
        budget.check_inflated_size(data[fp.tell():], parse_copies=2)
    except budget.OverBudget as exc:
        raise Invalid("over_budget", exc.message) from exc
    except zlib.error as exc:
        raise Invalid("unparseable", f"the Deflated data set does not inflate: {exc}") from exc


def _as_part10(ds: Dataset) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.get("SOPClassUID", "")
    meta.MediaStorageSOPInstanceUID = ds.get("SOPInstanceUID", "")
    meta.TransferSyntaxUID = _syntax_of(ds)
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.file_meta = meta
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _syntax_of(ds: Dataset) -> UID:
    implicit, little = ds.original_encoding
    if implicit is None:
        return ExplicitVRLittleEndian
    if implicit:
        return ImplicitVRLittleEndian
    return ExplicitVRLittleEndian if little else ExplicitVRBigEndian


def check(ds: Dataset) -> None:
    """Identity, class, transfer syntax and pixel geometry; raises ``Invalid``."""
    sop_uid = str(ds.get("SOPInstanceUID", "") or "")
    for keyword in REQUIRED_UIDS:
        value = str(ds.get(keyword, "") or "").strip()
        if not value:
            raise Invalid("missing_attribute", f"{keyword} is missing", sop_uid)
        if not UID(value).is_valid:
            raise Invalid("invalid_uid", f"{keyword} {value[:70]!r} is not a valid UID", sop_uid)
    if ds.SOPClassUID not in STORAGE_CLASSES:
        raise Invalid("unsupported_sop_class",
                      f"SOP Class {ds.SOPClassUID} ({UID(ds.SOPClassUID).name}) is not "
                      "accepted (CT, MR, Enhanced CT/MR and Secondary Capture are)", sop_uid)
    meta = getattr(ds, "file_meta", None)
    if meta is not None and meta.get("MediaStorageSOPInstanceUID") not in (None, "", sop_uid):
        raise Invalid("meta_mismatch", "file meta SOP Instance UID differs from the data set",
                      sop_uid)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax is not None and syntax not in TRANSFER_SYNTAXES:
        raise Invalid("unsupported_transfer_syntax",
                      f"transfer syntax {syntax} ({UID(syntax).name}) is not accepted", sop_uid)
    if "PixelData" in ds:
        check_pixels(ds, syntax or ExplicitVRLittleEndian)


def check_pixels(ds: Dataset, syntax: UID) -> None:
    """Pixel Data must agree with Rows, Columns, Bits Allocated, Samples and Frames."""
    sop_uid = str(ds.SOPInstanceUID)
    for keyword in ("Rows", "Columns", "BitsAllocated"):
        if not ds.get(keyword):
            raise Invalid("pixel_mismatch", f"Pixel Data present but {keyword} is missing",
                          sop_uid)
    bits = int(ds.BitsAllocated)
    if bits not in (8, 16, 32):
        raise Invalid("pixel_mismatch", f"Bits Allocated {bits} is not supported", sop_uid)
    if int(ds.get("BitsStored", bits) or bits) > bits:
        raise Invalid("pixel_mismatch", "Bits Stored exceeds Bits Allocated", sop_uid)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if frames < 1 or samples not in (1, 3):
        raise Invalid("pixel_mismatch", "bad Number of Frames or Samples per Pixel", sop_uid)
    rows, columns = int(ds.Rows), int(ds.Columns)
    try:
        budget.check_decoded(rows, columns, samples, bits, frames)
    except budget.OverBudget as exc:
        raise Invalid("over_budget", exc.message, sop_uid) from exc
    if syntax in NATIVE_SYNTAXES:
        expected = int(ds.Rows) * int(ds.Columns) * samples * frames * bits // 8
        actual = len(ds.PixelData)
        if actual not in (expected, expected + 1):
            raise Invalid("pixel_mismatch",
                          f"Pixel Data has {actual} bytes; Rows {ds.Rows} x Columns "
                          f"{ds.Columns} x {samples} samples x {frames} frames x "
                          f"{bits} bits needs {expected}", sop_uid)
        return
    try:  # compressed: every frame's own header first, so no decoder sizes from it
        for frame in generate_frames(ds.PixelData, number_of_frames=frames):
            budget.check_frame_header(FRAME_HEADERS[syntax], frame, rows, columns, samples,
                                      bits)
    except budget.HeaderMismatch as exc:
        raise Invalid("pixel_mismatch", f"compressed frame header: {exc}", sop_uid) from exc
    except Exception as exc:  # the encapsulation parser raises several types on garbage
        raise Invalid("pixel_undecodable", f"compressed Pixel Data: {exc}", sop_uid) from exc
    try:  # then the first frame must decode to the declared geometry
        from pydicom.pixels import pixel_array

        arr = pixel_array(ds, index=0)
    except Exception as exc:
        raise Invalid("pixel_undecodable", f"compressed Pixel Data does not decode: {exc}",
                      sop_uid) from exc
    if arr.shape[:2] != (int(ds.Rows), int(ds.Columns)):
        raise Invalid("pixel_mismatch", f"decoded frame is {arr.shape[:2]}, header says "
                      f"{ds.Rows}x{ds.Columns}", sop_uid)
