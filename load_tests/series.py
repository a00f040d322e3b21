"""Synthetic DICOM written to a folder: CT/MR series and a many-study index.

The pixels are a noisy elliptical phantom (not a ramp), so compressing or caching
them is no easier than on a real scan. No patient data is involved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"


def phantom(size: int, z: int, rng: np.random.Generator) -> np.ndarray:
    """A body-like ellipse of soft tissue (~40 HU) with a bright disc, plus noise."""
    y, x = np.ogrid[-1:1:size * 1j, -1:1:size * 1j]
    image = np.full((size, size), -1000.0)  # air
    image[(x / 0.85) ** 2 + (y / 0.65) ** 2 <= 1] = 40.0
    image[(x - 0.3 * np.sin(z / 20)) ** 2 + (y + 0.1) ** 2 <= 0.02] = 700.0
    image += rng.normal(0, 12, image.shape)
    return image


def dataset(modality: str, *, size: int, number: int, study_uid: str, series_uid: str,
            patient_id: str = "BENCH-1", patient_name: str = "Bench^Phantom",
            study_date: str = "20260101", pixels: np.ndarray | None = None) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = CT_IMAGE if modality == "CT" else MR_IMAGE
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.FrameOfReferenceUID = generate_uid()
    ds.Modality = modality
    ds.PatientID, ds.PatientName = patient_id, patient_name
    ds.PatientBirthDate, ds.PatientSex = "19560301", "M"
    ds.StudyDate, ds.StudyTime, ds.AccessionNumber = study_date, "101500", "ACC" + patient_id[-8:]
    ds.StudyDescription = "Bench " + modality
    ds.SeriesDescription = "Axial"
    ds.ReferringPhysicianName = "Ref^Doctor"
    ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "1", 1, number
    ds.ImagePositionPatient = [0.0, 0.0, float(number)]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.PixelSpacing, ds.SliceThickness = [0.7, 0.7], 1.0
    ds.Rows = ds.Columns = size
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    if modality == "CT":
        ds.RescaleSlope, ds.RescaleIntercept = 1.0, -1024.0
        ds.WindowCenter, ds.WindowWidth = 40, 400
    else:
        ds.WindowCenter, ds.WindowWidth = 600, 1200
    if pixels is None:
        pixels = np.zeros((size, size), np.int16)
    ds.PixelData = pixels.astype(np.int16).tobytes()
    ds["PixelData"].VR = "OW"
    return ds


def write_series(folder: Path, modality: str, count: int, size: int, seed: int = 1) -> dict:
    """``count`` slices of one series into ``folder``; returns uids, files and bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    study_uid, series_uid = generate_uid(), generate_uid()
    files, total = [], 0
    for number in range(1, count + 1):
        hu = phantom(size, number, rng)
        stored = hu + 1024 if modality == "CT" else (hu + 1000) * 0.8
        ds = dataset(modality, size=size, number=number, study_uid=study_uid,
                     series_uid=series_uid, pixels=np.clip(stored, 0, 4095))
        path = folder / f"{modality}{number:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        files.append(path)
        total += path.stat().st_size
    return {"study_uid": study_uid, "series_uid": series_uid, "files": files, "bytes": total,
            "size": size, "modality": modality}


def write_index(folder: Path, studies: int) -> dict:
    """One tiny (8×8) instance per study, with distinct patients, names and dates."""
    folder.mkdir(parents=True, exist_ok=True)
    surnames = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu"]
    pixels = np.zeros((8, 8), np.int16)
    for i in range(studies):
        study_uid = generate_uid()
        ds = dataset("CT" if i % 3 else "MR", size=8, number=1, study_uid=study_uid,
                     series_uid=generate_uid(), patient_id=f"IDX{i:07d}",
                     patient_name=f"{surnames[i % 10]}^P{i:05d}",
                     study_date=f"2025{1 + i % 12:02d}{1 + i % 28:02d}", pixels=pixels)
        ds.save_as(folder / f"idx{i:06d}.dcm", enforce_file_format=True)
    return {"studies": studies, "folder": folder, "surnames": surnames}
