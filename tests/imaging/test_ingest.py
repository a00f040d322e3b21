"""The one ingest function: good instances are stored and indexed, bad ones quarantined."""

from __future__ import annotations

import base64
import io
import os

import pydicom
import pytest
from pydicom.uid import generate_uid

from imaging import store
from imaging.ingest import DUPLICATE, QUARANTINED, STORED, ingest_instance
from imaging.models import Instance, QuarantinedItem, Series, Study
from tests.imaging.dicomfiles import encode, sample, synthetic

pytestmark = pytest.mark.django_db


def ingest(world, data, institution=None):
    return ingest_instance(data, institution=institution or world.centre_a, source="upload",
                           sender="alice")


def test_it_stores_and_indexes_a_ct_file_byte_for_byte(world):
    data = sample("CT_small.dcm")
    outcome = ingest(world, data)
    assert outcome.status == STORED
    instance = Instance.objects.get()
    study = instance.series.study
    assert study.institution == world.centre_a
    ds = pydicom.dcmread(io.BytesIO(data))
    assert study.study_instance_uid == ds.StudyInstanceUID
    assert study.patient.patient_id == ds.PatientID
    assert instance.series.modality == "CT"
    assert (instance.rows, instance.columns, instance.bits_allocated) == (128, 128, 16)
    assert store.get(instance.blob_key) == data


def test_it_encrypts_blobs_at_rest(world):
    data = sample("CT_small.dcm")
    instance = ingest(world, data).instance
    raw = store.raw_path(instance.blob_key).read_bytes()
    assert raw.startswith(b"CHE1")
    assert b"DICM" not in raw and b"CompressedSamples" not in raw
    raw_path = store.raw_path(instance.blob_key)
    raw_path.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    with pytest.raises(Exception, match="authentication failed"):
        store.get(instance.blob_key)


@pytest.mark.parametrize("name", [
    "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "image_dfl.dcm",
    "MR_small_RLE.dcm", "SC_rgb_rle_16bit_2frame.dcm", "MR_small_jpeg_ls_lossless.dcm",
    "JPEG2000.dcm", "MR_small_jp2klossless.dcm",
    "SC_rgb_jpeg_dcmtk.dcm", "JPGExtended.dcm", "SC_rgb_jpeg_gdcm.dcm", "SC_rgb_rle.dcm"])
def test_it_accepts_uncompressed_and_compressed_syntaxes(world, name):
    outcome = ingest(world, sample(name))
    assert outcome.status == STORED, outcome.message


def test_a_bare_data_set_is_wrapped_as_part_10(world):
    ds = synthetic()
    bare = _bare(ds)
    outcome = ingest(world, bare)
    assert outcome.status == STORED, outcome.message
    stored = pydicom.dcmread(io.BytesIO(store.get(outcome.instance.blob_key)))
    assert stored.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert stored.PixelData == ds.PixelData


def _bare(ds) -> bytes:
    """The data set alone, Implicit VR Little Endian, no preamble or file meta."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset

    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, True
    write_dataset(fp, ds)
    return fp.getvalue()


def _broken_cases():
    ct = sample("CT_small.dcm")
    good = synthetic()

    def variant(**changes):
        ds = synthetic()
        for key, value in changes.items():
            if value is None:
                delattr(ds, key)
            else:
                setattr(ds, key, value)
        return encode(ds)

    short_pixels = synthetic()
    short_pixels.PixelData = good.PixelData[:-200]
    broken_j2k = pydicom.dcmread(io.BytesIO(sample("JPEG2000.dcm")))
    frame = bytearray(broken_j2k.PixelData)
    frame[40:400] = os.urandom(360)
    broken_j2k.PixelData = bytes(frame[:300])
    from pydicom.encaps import encapsulate

    mpeg = synthetic()
    mpeg.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: not accepted
    mpeg.PixelData = encapsulate([b"\x00\x00\x01\xb3" + bytes(60)])
    other_meta = synthetic()
    other_meta.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4.5"
    other_meta.preamble = bytes(128)
    written = io.BytesIO()
    pydicom.dcmwrite(written, other_meta, enforce_file_format=False)  # keep the bad meta
    return {
        "empty": (b"", "empty"),
        "unsupported_transfer_syntax": (encode(mpeg), "unsupported_transfer_syntax"),
        "meta_disagrees": (written.getvalue(), "meta_mismatch"),
        "garbage": (os.urandom(2000), "unparseable"),
        "truncated_in_header": (ct[:300], "unparseable"),
        "truncated_in_pixels": (ct[: len(ct) // 3], "pixel_mismatch"),
        "pydicom_truncated_mr": (sample("MR_truncated.dcm"), "pixel_mismatch"),
        "no_study_uid": (variant(StudyInstanceUID=None), "missing_attribute"),
        "no_sop_class": (variant(SOPClassUID=None), "missing_attribute"),
        "bad_uid": (variant(SeriesInstanceUID="1.2.abc.3"), "invalid_uid"),
        "rt_plan": (sample("rtplan.dcm"), "unsupported_sop_class"),
        "pixels_short": (encode(short_pixels), "pixel_mismatch"),
        "rows_wrong": (variant(Rows=65), "pixel_mismatch"),
        "no_bits_allocated": (variant(BitsAllocated=None), "pixel_mismatch"),
        "undecodable_jpeg2000": (encode(broken_j2k), "pixel_undecodable"),
    }


@pytest.mark.parametrize("case", list(_broken_cases()))
def test_bad_input_is_quarantined_with_reason_and_original_bytes(world, case):
    data, reason = _broken_cases()[case]
    outcome = ingest(world, data)
    assert outcome.status == QUARANTINED
    assert outcome.reason == reason, outcome.message
    item = QuarantinedItem.objects.get()
    assert (item.reason, item.sender, item.institution) == (reason, "alice", world.centre_a)
    assert store.get(item.blob_key, "quarantine") == data
    assert not Instance.objects.exists() and not Study.objects.exists()


def test_the_same_instance_twice_is_idempotent(world):
    data = sample("CT_small.dcm")
    first, second = ingest(world, data), ingest(world, data)
    assert (first.status, second.status) == (STORED, DUPLICATE)
    assert second.instance == first.instance
    assert Instance.objects.count() == 1 and not QuarantinedItem.objects.exists()


def test_the_same_uid_with_other_content_is_a_quarantined_conflict(world):
    ds = synthetic()
    assert ingest(world, encode(ds)).status == STORED
    ds.PatientName = "Someone^Else"
    outcome = ingest(world, encode(ds))
    assert (outcome.status, outcome.reason) == (QUARANTINED, "conflict")
    assert Instance.objects.count() == 1
    assert str(pydicom.dcmread(io.BytesIO(store.get(Instance.objects.get().blob_key)))
               .PatientName) == "Test^Patient"


def test_another_institution_cannot_add_to_a_study_it_does_not_own(world):
    first = synthetic()
    ingest(world, encode(first))
    intruder = synthetic(study_uid=first.StudyInstanceUID)
    outcome = ingest(world, encode(intruder), institution=world.centre_b)
    assert (outcome.status, outcome.reason) == (QUARANTINED, "conflict")
    assert Series.objects.count() == 1 and Instance.objects.count() == 1


def test_instances_of_a_series_share_one_study_and_series(world):
    uid, series_uid = generate_uid(), generate_uid()
    for n in range(3):
        ingest(world, encode(synthetic(study_uid=uid, series_uid=series_uid, number=n)))
    assert Study.objects.count() == 1 and Series.objects.count() == 1
    assert Instance.objects.count() == 3


def test_rotate_keys_re_encrypts_images(world, settings):
    from cloudhospital.security import crypto, rotation

    instance = ingest(world, sample("CT_small.dcm")).instance
    old = crypto.keyring()
    new_key = base64.b64encode(os.urandom(32)).decode()
    spec = ",".join(f"{k}:{base64.b64encode(v).decode()}" for k, v in old.keys.items())
    settings.ENCRYPTION_KEYS = f"{spec},k9:{new_key}"
    settings.ENCRYPTION_ACTIVE_KEY = "k9"
    settings.LOOKUP_HASH_KEY = old.lookup_key.decode()
    assert store.rotate_blobs in rotation.ROTATORS
    assert store.rotate_blobs() == 1
    raw = store.raw_path(instance.blob_key).read_bytes()
    assert crypto.envelope_key_id(raw) == "k9"
    assert store.get(instance.blob_key) == sample("CT_small.dcm")
    assert store.rotate_blobs() == 0


def test_the_same_data_set_by_another_door_is_a_duplicate_not_a_conflict(world):
    """C-STORE rewrites the file meta; the data set is what identifies the content."""
    ds = synthetic()
    assert ingest(world, encode(ds)).status == STORED
    ds.file_meta.ImplementationVersionName = "OTHER_SCU_1"
    ds.file_meta.SourceApplicationEntityTitle = "CT_A"
    rewrapped = encode(ds)
    assert store.content_key(rewrapped) != Instance.objects.get().blob_key  # other bytes
    assert ingest(world, rewrapped).status == DUPLICATE
    assert not QuarantinedItem.objects.exists()
