"""Search for Instances within a study (PS3.18 §10.6: ``/studies/{study}/instances``), as
dicomweb-client's ``search_for_instances(study_instance_uid=…)`` and OHIF use it, with the
access rules of every other QIDO path."""

from __future__ import annotations

import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom.uid import generate_uid

from tests.imaging.dicomfiles import encode, series

# A synthetic study names "Test^Patient", not the consultation's patient: attaching it
# takes the clinic doctor's confirmation (imaging.identity_check).
SYNTHETIC = "synthetic test study of another patient"


def _two_series(**kw):
    study_uid = generate_uid()
    ct = series(3, study_uid=study_uid, **kw)
    mr = series(2, study_uid=study_uid, modality="MR", **kw)
    for n, ds in enumerate(mr):
        ds.SeriesNumber = 2
        ds.InstanceNumber = n + 1
    return study_uid, ct, mr


def _sop_uids(results):
    return [pydicom.Dataset.from_json(r).SOPInstanceUID for r in results]


@pytest.mark.django_db
def test_a_studys_instances_across_its_series_with_series_and_instance_keys(world,
                                                                             client_for):
    from imaging.ingest import ingest_instance

    study_uid, ct, mr = _two_series()
    for ds in ct + mr:
        ingest_instance(encode(ds), institution=world.centre_a, source="upload")
    alice = client_for(world.alice)
    url = f"/dicomweb/studies/{study_uid}/instances"
    every = alice.get(url)
    assert every.status_code == 200 and every["Content-Type"] == "application/dicom+json"
    assert _sop_uids(every.json()) == [d.SOPInstanceUID for d in ct + mr]
    first = pydicom.Dataset.from_json(every.json()[0])
    assert first.SeriesInstanceUID == ct[0].SeriesInstanceUID and first.Modality == "CT"
    assert first.RetrieveURL.endswith(f"/studies/{study_uid}/series/{ct[0].SeriesInstanceUID}"
                                      f"/instances/{ct[0].SOPInstanceUID}")
    assert _sop_uids(alice.get(url, {"Modality": "MR"}).json()) == [
        d.SOPInstanceUID for d in mr]
    assert _sop_uids(alice.get(url, {"SeriesInstanceUID": mr[0].SeriesInstanceUID,
                                     "InstanceNumber": "2"}).json()) == [mr[1].SOPInstanceUID]
    assert len(alice.get(url, {"limit": "2", "offset": "2"}).json()) == 2
    assert alice.get(url, {"SeriesNumber": "x"}).status_code == 400
    assert alice.get(url, {"SOPInstanceUID": "a\x00"}).status_code == 400


@pytest.mark.django_db
def test_the_study_instance_search_follows_the_access_rules(world, client_for,
                                                            consultation_at):
    from cloudhospital.security.models import AuditEntry
    from imaging import sharing
    from imaging.ingest import ingest_instance

    study_uid, ct, mr = _two_series()
    for ds in ct + mr:
        ingest_instance(encode(ds), institution=world.centre_a, source="upload")
    url = f"/dicomweb/studies/{study_uid}/instances"
    for outsider in (world.oscar, world.sam, world.pat.user):
        response = client_for(outsider).get(url)
        assert response.status_code == 404, outsider
        assert response.json()["error"] == "not_found"
    assert client_for(world.alice).get("/dicomweb/studies/1.2.3.4/instances").status_code == 404
    consultation = consultation_at("accepted")
    sharing.attach_study(world.alice.user, consultation, study_uid,
                         mismatch_reason=SYNTHETIC)
    shared = client_for(world.sam).get(url)
    assert shared.status_code == 200 and len(shared.json()) == 5
    assert AuditEntry.objects.filter(action="imaging.qido", object_id=study_uid,
                                     detail__level="instances").exists()


def test_the_study_instance_search_needs_authentication(client, db):
    response = client.get("/dicomweb/studies/1.2.3/instances")
    assert response.status_code == 401


@pytest.mark.live
def test_dicomweb_client_searches_the_instances_of_a_study(platform_server, tmp_path):
    study_uid, ct, mr = _two_series(patient_id="QIDO-STUDY-INSTANCES")
    for ds in ct + mr:
        (tmp_path / f"{ds.SOPInstanceUID}.dcm").write_bytes(encode(ds))
    platform_server.manage("import_dicom", "--ae", "DEMO_CT", "--no-progress", str(tmp_path))

    def client(username):
        token = platform_server.token(username)
        return DICOMwebClient(url=f"{platform_server.url}/dicomweb",
                              headers={"Authorization": f"Bearer {token}"})

    doctor = client("clinic_doctor")
    found = doctor.search_for_instances(study_instance_uid=study_uid)
    assert sorted(_sop_uids(found)) == sorted(d.SOPInstanceUID for d in ct + mr)
    only_mr = doctor.search_for_instances(study_instance_uid=study_uid,
                                          search_filters={"Modality": "MR"})
    assert sorted(_sop_uids(only_mr)) == sorted(d.SOPInstanceUID for d in mr)
    with pytest.raises(requests.HTTPError) as refused:
        client("clinic_doctor2").search_for_instances(study_instance_uid=study_uid)
    assert refused.value.response.status_code == 404
