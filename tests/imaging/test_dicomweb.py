"""QIDO-RS and WADO-RS against the index and the store, through the real URL routes."""

from __future__ import annotations

import io

import pydicom
import pytest
from PIL import Image

from cloudhospital.security.models import AuditEntry
from imaging.dicomweb import multipart
from tests.imaging.dicomfiles import sample

pytestmark = pytest.mark.django_db

DICOM = 'multipart/related; type="application/dicom"'


def tags(result, keyword):
    from pydicom import datadict

    entry = result[f"{datadict.tag_for_keyword(keyword):08X}"]
    return entry.get("Value", [])


def body_of(response) -> bytes:
    """The whole body of a (possibly async) streaming response, read as an ASGI server
    would, without Django's sync fallback."""
    from asgiref.sync import async_to_sync

    if not response.is_async:
        return b"".join(response.streaming_content)

    async def collect():
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(collect)()


def parts_of(response):
    return multipart.decode(body_of(response), response["Content-Type"])


def uids(results):
    return sorted(tags(r, "StudyInstanceUID")[0] for r in results)


def test_search_needs_authentication(client):
    response = client.get("/dicomweb/studies")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_search_with_a_bearer_token(world, ct_study, client):
    from cloudhospital.security.tokens import create_api_token

    _, raw = create_api_token(world.alice.user)
    response = client.get("/dicomweb/studies", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/dicom+json"
    assert len(response.json()) == 2
    bad = client.get("/dicomweb/studies", HTTP_AUTHORIZATION="Bearer chk_wrong")
    assert bad.status_code == 401


def test_qido_studies_matching(world, ct_study, client_for):
    alice = client_for(world.alice)
    uid = ct_study[0].StudyInstanceUID
    ct_small = pydicom.dcmread(io.BytesIO(sample("CT_small.dcm")))

    def search(**params):
        response = alice.get("/dicomweb/studies", params)
        assert response.status_code == 200, response.content
        return uids(response.json())

    both = sorted([uid, ct_small.StudyInstanceUID])
    assert search() == both
    assert search(PatientID="P-001") == [uid]
    assert search(PatientName="test*") == [uid]
    assert search(PatientName="Tes?^Patient") == [uid]
    assert search(PatientName="Nobody*") == []
    assert search(StudyDate="20251201-20260102") == [uid]
    assert search(StudyDate="-20251231") == [ct_small.StudyInstanceUID]
    assert search(StudyDate="20260101") == [uid]
    assert search(ModalitiesInStudy="MR") == []
    assert search(ModalitiesInStudy="CT") == both
    assert search(AccessionNumber="ACC1") == [uid]
    assert search(StudyInstanceUID=f"{uid},1.2.3") == [uid]
    assert len(search(limit=1)) == 1 and search(limit=1, offset=1) != search(limit=1)
    result = alice.get("/dicomweb/studies", {"PatientID": "P-001"}).json()[0]
    assert tags(result, "ModalitiesInStudy") == ["CT"]
    assert tags(result, "NumberOfStudyRelatedInstances") == [3]
    assert tags(result, "PatientName") == [{"Alphabetic": "Test^Patient"}]
    assert "00081030" not in result
    with_desc = alice.get("/dicomweb/studies", {"PatientID": "P-001",
                                                "includefield": "StudyDescription"}).json()
    assert tags(with_desc[0], "StudyDescription") == ["Chest"]
    assert alice.get("/dicomweb/studies", {"StudyDate": "2026-13-45"}).status_code == 400
    assert alice.get("/dicomweb/studies", {"limit": "x"}).status_code == 400


def test_qido_series_and_instances(world, ct_study, client_for):
    alice = client_for(world.alice)
    ds = ct_study[0]
    series = alice.get(f"/dicomweb/studies/{ds.StudyInstanceUID}/series").json()
    assert [tags(s, "SeriesInstanceUID") for s in series] == [[ds.SeriesInstanceUID]]
    assert alice.get(f"/dicomweb/studies/{ds.StudyInstanceUID}/series",
                     {"Modality": "MR"}).json() == []
    url = f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances"
    instances = alice.get(url).json()
    assert [tags(i, "InstanceNumber")[0] for i in instances] == [1, 2, 3]
    one = alice.get(url, {"SOPInstanceUID": ds.SOPInstanceUID}).json()
    assert tags(one[0], "SOPInstanceUID") == [ds.SOPInstanceUID]


def test_wado_returns_the_stored_bytes(world, client_for):
    from imaging.ingest import ingest_instance

    data = sample("CT_small.dcm")
    ds = pydicom.dcmread(io.BytesIO(data))
    ingest_instance(data, institution=world.centre_a, source="upload")
    alice = client_for(world.alice)
    base = f"/dicomweb/studies/{ds.StudyInstanceUID}"
    url = f"{base}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"
    for path in (url, base, f"{base}/series/{ds.SeriesInstanceUID}"):
        response = alice.get(path, HTTP_ACCEPT=DICOM)
        assert response.status_code == 200
        assert [payload for _, payload in parts_of(response)] == [data]
    explicit = alice.get(url, HTTP_ACCEPT=DICOM + "; transfer-syntax=1.2.840.10008.1.2.1")
    assert explicit.status_code == 200
    jpeg = alice.get(url, HTTP_ACCEPT=DICOM + "; transfer-syntax=1.2.840.10008.1.2.4.50")
    assert jpeg.status_code == 406 and jpeg.json()["error"] == "not_acceptable"


def test_wado_metadata_references_pixel_data(world, ct_study, client_for):
    ds = ct_study[0]
    url = (f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
           f"/instances/{ds.SOPInstanceUID}/metadata")
    result = client_for(world.alice).get(url).json()
    assert tags(result[0], "SOPInstanceUID") == [ds.SOPInstanceUID]
    assert result[0]["7FE00010"]["BulkDataURI"].endswith("/frames/1")
    assert "Value" not in result[0]["7FE00010"] and "InlineBinary" not in result[0]["7FE00010"]
    study_meta = client_for(world.alice).get(f"/dicomweb/studies/{ds.StudyInstanceUID}/metadata")
    assert len(study_meta.json()) == 3


def test_wado_frames_as_octet_stream(world, ct_study, client_for):
    ds = ct_study[1]
    url = (f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
           f"/instances/{ds.SOPInstanceUID}/frames/1")
    response = client_for(world.alice).get(
        url, HTTP_ACCEPT='multipart/related; type="application/octet-stream"')
    assert response.status_code == 200
    (_, payload), = parts_of(response)
    assert payload == ds.PixelData
    assert client_for(world.alice).get(url[:-1] + "2").status_code == 404
    assert client_for(world.alice).get(url[:-1] + "x").status_code == 400


def test_rendered_png_jpeg_viewport_and_window(world, ct_study, client_for):
    alice = client_for(world.alice)
    ds = ct_study[0]
    url = (f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
           f"/instances/{ds.SOPInstanceUID}/rendered")
    png = alice.get(url, HTTP_ACCEPT="image/png")
    assert png["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == (64, 64)
    jpeg = alice.get(url, HTTP_ACCEPT="image/jpeg")
    assert Image.open(io.BytesIO(jpeg.content)).format == "JPEG"
    small = alice.get(url, {"viewport": "32,16"}, HTTP_ACCEPT="image/png")
    assert Image.open(io.BytesIO(small.content)).size == (16, 16)
    wide = alice.get(url, {"window": "0,4000"}, HTTP_ACCEPT="image/png")
    assert wide.content != png.content
    lung = alice.get(url, {"preset": "lung"}, HTTP_ACCEPT="image/png")
    assert lung.status_code == 200 and lung.content != png.content
    assert alice.get(url, {"preset": "kidney"}).status_code == 400
    assert alice.get(url, {"window": "a,b"}).status_code == 400
    assert alice.get(url, HTTP_ACCEPT="application/pdf").status_code == 406
    thumb = alice.get(f"/dicomweb/studies/{ds.StudyInstanceUID}/series/"
                      f"{ds.SeriesInstanceUID}/thumbnail", HTTP_ACCEPT="image/png")
    assert Image.open(io.BytesIO(thumb.content)).size == (128, 128)


def test_every_read_is_audited(world, ct_study, client_for):
    alice = client_for(world.alice)
    ds = ct_study[0]
    base = f"/dicomweb/studies/{ds.StudyInstanceUID}"
    inst = f"{base}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"
    alice.get("/dicomweb/studies")
    body_of(alice.get(inst, HTTP_ACCEPT=DICOM))
    alice.get(inst + "/rendered")
    alice.get(inst + "/metadata")
    actions = list(AuditEntry.objects.filter(actor=world.alice.user)
                   .values_list("action", "object_id"))
    assert ("imaging.qido", "*") in actions
    for action in ("imaging.wado", "imaging.render", "imaging.metadata"):
        assert (action, ds.StudyInstanceUID) in actions


def test_rendered_images_are_cached(world, ct_study, client_for):
    """The second request is served from the cache: it works even with the blob gone."""
    from imaging import store
    from imaging.models import Instance

    ds = ct_study[2]
    url = (f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
           f"/instances/{ds.SOPInstanceUID}/rendered")
    alice = client_for(world.alice)
    first = alice.get(url, {"viewport": "40,40"}, HTTP_ACCEPT="image/png")
    store.raw_path(Instance.objects.get(sop_instance_uid=ds.SOPInstanceUID).blob_key).unlink()
    again = alice.get(url, {"viewport": "40,40"}, HTTP_ACCEPT="image/png")
    assert again.status_code == 200 and again.content == first.content
    uncached = alice.get(url, {"viewport": "41,41"}, HTTP_ACCEPT="image/png")
    assert uncached.status_code == 503 and uncached.json()["error"] == "storage_unavailable"


def test_a_missing_blob_is_503_before_any_byte_is_sent(world, ct_study, client_for):
    from imaging import store
    from imaging.models import Instance

    ds = ct_study[1]
    store.raw_path(Instance.objects.get(sop_instance_uid=ds.SOPInstanceUID).blob_key).unlink()
    response = client_for(world.alice).get(f"/dicomweb/studies/{ds.StudyInstanceUID}",
                                           HTTP_ACCEPT=DICOM)
    assert response.status_code == 503


def test_only_the_studies_resources_take_post(world, ct_study, client_for):
    ds = ct_study[0]
    response = client_for(world.alice).post(f"/dicomweb/studies/{ds.StudyInstanceUID}/series")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


def test_a_frame_that_cannot_be_decoded_is_422_not_500(world, client_for):
    """Ingest decodes the first frame and checks every frame's header; a later frame whose
    header is sound but whose data is not is found when it is read."""
    from pydicom.encaps import encapsulate, generate_frames

    from imaging.ingest import ingest_instance
    from tests.imaging.dicomfiles import encode

    ds = pydicom.dcmread(io.BytesIO(sample("SC_rgb_rle_16bit_2frame.dcm")))
    frames = list(generate_frames(ds.PixelData, number_of_frames=2))
    # RLE header kept; every segment byte a no-op run (-128): decodes to nothing
    broken = frames[1][:64] + b"\x80" * (len(frames[1]) - 64)
    ds.PixelData = encapsulate([frames[0], broken])
    outcome = ingest_instance(encode(ds), institution=world.centre_a, source="upload")
    assert outcome.ok, outcome.message
    base = (f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
            f"/instances/{ds.SOPInstanceUID}/frames/")
    alice = client_for(world.alice)
    assert alice.get(base + "1/rendered").status_code == 200
    response = alice.get(base + "2/rendered")
    assert response.status_code == 422 and response.json()["error"] == "undecodable"
    octets = alice.get(base + "2", HTTP_ACCEPT='multipart/related; '
                       'type="application/octet-stream"')
    assert octets.status_code == 422
