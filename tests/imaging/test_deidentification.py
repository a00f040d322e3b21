"""PS3.15 Annex E Basic Profile: nothing identifying survives, UIDs stay consistent."""

from __future__ import annotations

import io

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from cloudhospital.core.errors import InvalidInput, NotFound
from imaging import deid, sharing, store
from imaging.ingest import ingest_instance
from imaging.models import DeidentifiedCopy, Instance, Study
from tests.imaging.dicomfiles import encode, series

IDENTIFYING = {
    "PatientName": "Wang^Xiaoming", "PatientID": "PID-778899",
    "PatientBirthDate": "19560301", "PatientAddress": "1 Heping Road, Shenyang",
    "OtherPatientIDs": "OTHER-5566", "PatientTelephoneNumbers": "13900001111",
    "InstitutionName": "Heping Community Centre", "InstitutionAddress": "2 Nanjing St",
    "ReferringPhysicianName": "Li^Referrer", "OperatorsName": "Zhao^Operator",
    "PerformingPhysicianName": "Sun^Performer", "StationName": "HEPING-CT-01",
    "DeviceSerialNumber": "SN-424242", "AccessionNumber": "ACC-31415",
    "StudyDescription": "CT chest for Wang", "SeriesDescription": "Wang axial",
    "ImageComments": "patient Wang moved", "StudyID": "STUDY-2718",
    "AdditionalPatientHistory": "smoker, lives alone at Heping", "PatientAge": "070Y",
    "AcquisitionDate": "20260105", "ContentDate": "20260105", "StudyDate": "20260105",
    "SeriesDate": "20260105", "InstanceCreationDate": "20260105",
}


def identified_series(n=3):
    slices = series(n)
    for i, ds in enumerate(slices):
        for keyword, value in IDENTIFYING.items():
            setattr(ds, keyword, value)
        ds.add_new(0x00091010, "LO", "private vendor note about Wang")
        person = Dataset()
        person.PersonName = "Deep^Nested"
        person.PersonTelephoneNumbers = "024-5555"
        ds.RequestAttributesSequence = [person]
        # A kept sequence whose UIDs point at another instance of the same series.
        ref = Dataset()
        ref.ReferencedSOPClassUID = ds.SOPClassUID
        ref.ReferencedSOPInstanceUID = slices[(i + 1) % n].SOPInstanceUID
        ds.ReferencedImageSequence = [ref]
        code = Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "T-D3000", "SRT", "Chest"
        ds.AnatomicRegionSequence = [code]
        ds.add_new(0x60003000, "OW", b"\x00\x01" * 8)  # overlay data
    return slices


def test_no_identifying_attribute_survives_and_uids_are_consistent():
    slices = identified_series()
    originals = [encode(ds) for ds in slices]
    uids = deid.UidMap(b"secret")
    copies = [deid.deidentify_bytes(data, uids, "ANON-1") for data in originals]
    parsed = [pydicom.dcmread(io.BytesIO(c)) for c in copies]
    old_uids = {str(v) for ds in slices for v in (ds.StudyInstanceUID, ds.SeriesInstanceUID,
                                                  ds.SOPInstanceUID, ds.FrameOfReferenceUID)}
    for data, ds in zip(copies, parsed, strict=True):
        for value in list(IDENTIFYING.values()) + ["Deep^Nested", "024-5555", "vendor note",
                                                   "Centre A", "Test^Patient"]:
            assert value.encode() not in data, value
        for uid in old_uids:
            assert uid.encode() not in data, uid
        assert ds.PatientName == "ANON-1" and ds.PatientID == "ANON-1"
        for keyword in ("PatientBirthDate", "AccessionNumber", "ReferringPhysicianName",
                        "StudyDate", "StudyID"):
            assert keyword in ds and not ds[keyword].value  # Type 2: present, empty
        for keyword in ("InstitutionName", "OperatorsName", "StationName", "PatientAddress",
                        "OtherPatientIDs", "RequestAttributesSequence", "StudyDescription",
                        "DeviceSerialNumber", "ImageComments", "AcquisitionDate"):
            assert keyword not in ds, keyword
        assert not any(elem.tag.is_private for elem in ds)
        assert 0x60003000 not in ds
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.SOPClassUID == slices[0].SOPClassUID  # registered UIDs are kept
        assert ds.AnatomicRegionSequence[0].CodeValue == "T-D3000"
    assert len({ds.StudyInstanceUID for ds in parsed}) == 1
    assert len({ds.SeriesInstanceUID for ds in parsed}) == 1
    assert len({ds.SOPInstanceUID for ds in parsed}) == 3
    for i, ds in enumerate(parsed):
        assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID == parsed[
            (i + 1) % 3].SOPInstanceUID
        assert ds.PixelData == slices[i].PixelData


def test_another_copy_gets_other_uids():
    ds = series(1)[0]
    one = deid.deidentify(ds.copy(), deid.UidMap(b"a"), "X")
    two = deid.deidentify(series(1, study_uid=ds.StudyInstanceUID)[0], deid.UidMap(b"b"), "X")
    assert one.StudyInstanceUID != two.StudyInstanceUID


def test_burned_in_annotation_is_refused():
    ds = series(1)[0]
    ds.BurnedInAnnotation = "YES"
    with pytest.raises(deid.CannotDeidentify):
        deid.deidentify(ds, deid.UidMap(b"s"), "X")


@pytest.mark.django_db
def test_sharing_outside_makes_a_deidentified_study_for_the_target(world):
    slices = identified_series()
    for ds in slices:
        ingest_instance(encode(ds), institution=world.centre_a, source="upload")
    original = slices[0].StudyInstanceUID
    with pytest.raises(NotFound):
        sharing.share_deidentified(world.oscar.user, original, world.centre_b, "teaching")
    with pytest.raises(InvalidInput):
        sharing.share_deidentified(world.alice.user, original, world.centre_b, " ")
    copy = sharing.share_deidentified(world.alice.user, original, world.centre_b,
                                      "teaching file")
    assert copy.institution == world.centre_b and copy.study_instance_uid != original
    assert copy.patient.patient_name.startswith("ANON-")
    assert Instance.objects.filter(series__study=copy).count() == 3
    assert DeidentifiedCopy.objects.get().source_study.study_instance_uid == original
    for instance in Instance.objects.filter(series__study=copy):
        data = store.get(instance.blob_key)
        assert b"Wang" not in data and original.encode() not in data
    assert sharing.visible_studies(world.oscar.user).get() == copy
    assert Study.objects.get(study_instance_uid=original).institution == world.centre_a


def test_a_new_uid_is_valid():
    uid = deid.UidMap(b"k")(generate_uid())
    assert pydicom.uid.UID(uid).is_valid and len(uid) <= 64
