"""Test DICOM data: pydicom's bundled files (no download) and synthetic series made here."""

from __future__ import annotations

import io

import numpy as np
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pynetdicom.sop_class import CTImageStorage, MRImageStorage


def sample(name: str) -> bytes:
    path = get_testdata_file(name, download=False)
    assert path, f"pydicom test file {name} is not installed"
    with open(path, "rb") as fh:
        return fh.read()


def sample_path(name: str) -> str:
    path = get_testdata_file(name, download=False)
    assert path, f"pydicom test file {name} is not installed"
    return path


def synthetic(*, modality="CT", rows=64, columns=64, study_uid=None, series_uid=None,
              sop_uid=None, number=1, signed=True, bits=16, frames=1, pixels=None,
              patient_id="P-001", patient_name="Test^Patient", photometric="MONOCHROME2",
              window=None, rescale=(1.0, -1024.0), study_date="20260101") -> Dataset:
    """A small valid CT/MR image data set (with file meta, Explicit VR Little Endian)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = CTImageStorage if modality == "CT" else MRImageStorage
    ds.SOPInstanceUID = sop_uid or generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.FrameOfReferenceUID = generate_uid()
    ds.Modality = modality
    ds.PatientID, ds.PatientName = patient_id, patient_name
    ds.PatientBirthDate, ds.PatientSex = "19560301", "M"
    ds.StudyDate, ds.StudyTime, ds.AccessionNumber = study_date, "101500", "ACC1"
    ds.StudyDescription, ds.SeriesDescription = "Chest", "Axial"
    ds.ReferringPhysicianName = "Ref^Doctor"
    ds.InstitutionName = "Centre A"
    ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "1", 1, number
    ds.ImagePositionPatient = [0, 0, float(number)]
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits if bits == 8 else 12, (
        bits - 1 if bits == 8 else 11)
    ds.PixelRepresentation = 1 if signed else 0
    if frames > 1:
        ds.NumberOfFrames = frames
    if modality == "CT" and rescale:
        ds.RescaleSlope, ds.RescaleIntercept = rescale
    if window:
        ds.WindowCenter, ds.WindowWidth = window
    if pixels is None:
        dtype = {8: np.uint8, 16: np.int16 if signed else np.uint16}[bits]
        ramp = np.linspace(0, 2000 if bits == 16 else 250, rows * columns).reshape(rows, columns)
        pixels = np.stack([ramp + 10 * f for f in range(frames)]).astype(dtype)
        if frames == 1:
            pixels = pixels[0]
    ds.add_new(0x7FE00010, "OB" if bits == 8 else "OW", pixels.tobytes())
    return ds


def encode(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def series(n: int, *, rows=64, columns=64, **kw) -> list[Dataset]:
    study_uid, series_uid = kw.pop("study_uid", None) or generate_uid(), generate_uid()
    return [synthetic(rows=rows, columns=columns, study_uid=study_uid, series_uid=series_uid,
                      number=i + 1, **kw) for i in range(n)]
