"""The issue's "done when": dcmtk pushes into a running platform (``runplatform``: daphne,
worker, DICOM listener), dicomweb-client finds, retrieves and renders; bad senders and
bad files are refused with reasons and change nothing else."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from PIL import Image

from imaging.dicomweb import multipart
from tests.imaging.dicomfiles import encode, sample_path, series, synthetic
from tests.imaging.platform_db import counts

pytestmark = pytest.mark.live


def dataset_bytes(part10: bytes) -> bytes:
    """A Part 10 file's data set bytes: what follows the preamble and the meta group."""
    assert part10[128:132] == b"DICM"
    meta_length = int.from_bytes(part10[140:144], "little")
    return part10[144 + meta_length:]


def dcmtk(tool, platform, *args, aet="DEMO_CT"):
    return subprocess.run([tool, "-aet", aet, "-aec", "CLOUDHOSPITAL", "127.0.0.1",
                           str(platform.dicom_port), *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def pushed(platform_server, tmp_path_factory):
    """CT_small, MR_small and a 100-slice 512x512 CT series, pushed with storescu."""
    folder = tmp_path_factory.mktemp("ct100")
    slices = series(100, rows=512, columns=512, patient_id="E2E-100", window=(40, 400))
    for ds in slices:
        (folder / f"{ds.InstanceNumber:03d}.dcm").write_bytes(encode(ds))
    echo = dcmtk("echoscu", platform_server)
    assert echo.returncode == 0, echo.stderr
    for args in ([sample_path("CT_small.dcm"), sample_path("MR_small.dcm")],
                 ["+sd", str(folder)]):
        result = dcmtk("storescu", platform_server, "-xe", *args)
        assert result.returncode == 0, result.stdout + result.stderr
    return folder, slices


@pytest.fixture(scope="module")
def dicomweb(platform_server):
    token = platform_server.token("clinic_doctor")
    return DICOMwebClient(url=f"{platform_server.url}/dicomweb",
                          headers={"Authorization": f"Bearer {token}"})


def test_dicomweb_client_finds_retrieves_and_renders(pushed, dicomweb, platform_server):
    folder, slices = pushed
    study_uid = slices[0].StudyInstanceUID
    found = dicomweb.search_for_studies(search_filters={"PatientID": "E2E-100"})
    assert [pydicom.Dataset.from_json(s).StudyInstanceUID for s in found] == [study_uid]
    assert pydicom.Dataset.from_json(found[0]).NumberOfStudyRelatedInstances == 100
    ct = pydicom.dcmread(sample_path("CT_small.dcm"))
    mr = pydicom.dcmread(sample_path("MR_small.dcm"))
    for ds in (ct, mr):
        hits = dicomweb.search_for_studies(search_filters={"StudyInstanceUID":
                                                           ds.StudyInstanceUID})
        assert len(hits) == 1
    series_found = dicomweb.search_for_series(study_uid)
    assert [pydicom.Dataset.from_json(s).SeriesInstanceUID for s in series_found] == [
        slices[0].SeriesInstanceUID]
    instances = dicomweb.search_for_instances(study_uid, slices[0].SeriesInstanceUID,
                                              search_filters={"InstanceNumber": "50"})
    assert pydicom.Dataset.from_json(instances[0]).SOPInstanceUID == slices[49].SOPInstanceUID

    retrieved = dicomweb.retrieve_instance(ct.StudyInstanceUID, ct.SeriesInstanceUID,
                                           ct.SOPInstanceUID)
    assert retrieved.PixelData == ct.PixelData and retrieved.PatientName == ct.PatientName

    png = dicomweb.retrieve_instance_rendered(study_uid, slices[0].SeriesInstanceUID,
                                              slices[10].SOPInstanceUID,
                                              media_types=("image/png",))
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (512, 512))
    small = dicomweb.retrieve_instance_rendered(
        study_uid, slices[0].SeriesInstanceUID, slices[10].SOPInstanceUID,
        media_types=("image/png",), params={"viewport": "256,256", "window": "-600,1500"})
    assert Image.open(io.BytesIO(small)).size == (256, 256)


def test_retrieved_series_is_byte_identical(pushed, dicomweb, platform_server):
    folder, slices = pushed
    token = dicomweb._session.headers["Authorization"]
    url = (f"{platform_server.url}/dicomweb/studies/{slices[0].StudyInstanceUID}/series/"
           f"{slices[0].SeriesInstanceUID}")
    response = requests.get(url, headers={"Authorization": token,
                                          "Accept": 'multipart/related; '
                                                    'type="application/dicom"'}, timeout=120)
    assert response.status_code == 200
    parts = multipart.decode(response.content, response.headers["Content-Type"])
    assert len(parts) == 100
    by_uid = {pydicom.dcmread(io.BytesIO(p)).SOPInstanceUID: p for _, p in parts}
    for ds in slices:
        sent = (folder / f"{ds.InstanceNumber:03d}.dcm").read_bytes()
        assert dataset_bytes(by_uid[ds.SOPInstanceUID]) == dataset_bytes(sent)
    with_client = dicomweb.retrieve_series(slices[0].StudyInstanceUID,
                                           slices[0].SeriesInstanceUID)
    assert len(with_client) == 100
    assert np.array_equal(with_client[0].pixel_array, pydicom.dcmread(
        io.BytesIO(parts[0][1])).pixel_array)


def test_refused_senders_and_files_and_resends_change_nothing(pushed, platform_server,
                                                              tmp_path):
    """An unregistered AE and a corrupt file are refused with reasons; a resend of a
    stored instance is accepted and changes nothing."""
    before = counts(platform_server)
    rejected = dcmtk("storescu", platform_server, sample_path("CT_small.dcm"), aet="NOBODY")
    assert rejected.returncode != 0
    assert "Calling AE Title Not Recognized" in rejected.stdout + rejected.stderr
    bad = synthetic()
    bad.Columns = 99
    path = tmp_path / "corrupt.dcm"
    path.write_bytes(encode(bad))
    refused = dcmtk("storescu", platform_server, "-xe", "-d", str(path))
    output = refused.stdout + refused.stderr
    assert "0xc000" in output.lower() and "pixel_mismatch" in output
    again = dcmtk("storescu", platform_server, "-xe", sample_path("CT_small.dcm"))
    assert again.returncode == 0, again.stdout + again.stderr
    after = counts(platform_server)
    assert (after["instances"], after["studies"]) == (before["instances"], before["studies"])
    assert after["quarantine"] == before["quarantine"] + [["pixel_mismatch", "DEMO_CT"]]
