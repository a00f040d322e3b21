"""Pages: upload (files, folder, zip), attach, viewer reachable from the consultation,
download; and ``import_dicom``."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from cloudhospital.security.models import AuditEntry
from imaging.models import Instance, QuarantinedItem, Study
from tests.imaging.dicomfiles import encode, sample, series

pytestmark = pytest.mark.django_db


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_upload_files_folder_and_zip(world, client_for):
    alice = client_for(world.alice)
    slices = series(3)
    files = [SimpleUploadedFile("one.dcm", encode(slices[0])),
             SimpleUploadedFile("study.zip", zipped({"a/2.dcm": encode(slices[1]),
                                                     "a/3.dcm": encode(slices[2]),
                                                     "a/DICOMDIR": b"index",
                                                     "a/junk.dcm": os.urandom(300)})),
             SimpleUploadedFile("ct.dcm", sample("CT_small.dcm"))]
    response = alice.post("/imaging/upload/", {"files": files}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "已存储 4，已存在 0，拒绝 1。" in text  # the default language
    assert Instance.objects.count() == 4 and QuarantinedItem.objects.count() == 1
    assert QuarantinedItem.objects.get().reason == "unparseable"
    page = alice.get("/imaging/").content.decode()
    assert "Test Patient" in page and "Test^Patient" not in page  # decoded
    assert "Test Patient" not in client_for(world.oscar).get("/imaging/").content.decode()
    refused = client_for(world.sam).post("/imaging/upload/",
                                         {"files": [SimpleUploadedFile("x.dcm", b"x")]})
    assert refused.status_code == 403


def test_viewer_reachable_from_the_consultation_for_its_specialist(world, ct_study,
                                                                   client_for,
                                                                   consultation_at):
    ds = ct_study[0]
    consultation = consultation_at("scheduled")
    viewer = f"/imaging/studies/{ds.StudyInstanceUID}/"
    assert client_for(world.sam).get(viewer).status_code == 404
    attached = client_for(world.alice).post(
        f"/imaging/studies/{ds.StudyInstanceUID}/attach/",
        {"consultation": str(consultation.pk),
         "mismatch_reason": "synthetic study of another patient"})
    assert attached.status_code == 302
    detail = client_for(world.sam).get(f"/consultations/{consultation.pk}/").content.decode()
    assert f"{viewer}?consultation={consultation.pk}" in detail
    page = client_for(world.sam).get(viewer, {"consultation": str(consultation.pk)})
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/series/{ds.SeriesInstanceUID}/thumbnail" in html
    assert 'id="viewer-data"' in html and ds.SOPInstanceUID in html
    assert "Test Patient" in html and "Test^Patient" not in html and "肺窗" in html
    assert client_for(world.tom).get(viewer).status_code == 404
    assert AuditEntry.objects.filter(actor=world.sam.user, action="imaging.view").exists()


def test_download_is_the_stored_study_and_audited(world, client_for):
    from imaging.ingest import ingest_instance

    data = sample("CT_small.dcm")
    ingest_instance(data, institution=world.centre_a, source="upload")
    uid = Study.objects.get().study_instance_uid
    response = client_for(world.alice).get(f"/imaging/studies/{uid}/download/")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert [archive.read(n) for n in archive.namelist()] == [data]
    assert AuditEntry.objects.filter(action="imaging.download", object_id=uid).exists()
    assert client_for(world.oscar).get(f"/imaging/studies/{uid}/download/").status_code == 404


def test_import_dicom_reads_folders_and_zips(world, tmp_path, capsys):
    tmp_path = tmp_path / "input"  # tmp_path itself also holds this test's image store
    tmp_path.mkdir()
    slices = series(4)
    (tmp_path / "dir").mkdir()
    for ds in slices[:2]:
        (tmp_path / "dir" / f"{ds.InstanceNumber}.dcm").write_bytes(encode(ds))
    (tmp_path / "more.zip").write_bytes(zipped({f"{ds.InstanceNumber}.dcm": encode(ds)
                                                for ds in slices[2:]}))
    call_command("import_dicom", str(tmp_path / "dir"), str(tmp_path / "more.zip"),
                 institution=world.centre_a.name, no_progress=True)
    assert "stored 4" in capsys.readouterr().out
    assert Instance.objects.count() == 4
    (tmp_path / "bad.dcm").write_bytes(b"not dicom at all" * 20)
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_dicom", str(tmp_path), institution=world.centre_a.name,
                     no_progress=True)
    assert "already present 4" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no institution"):
        call_command("import_dicom", str(tmp_path), institution="Nowhere")


def test_admins_see_the_quarantine_with_reasons_and_original_bytes(world, client_for):
    from imaging.ingest import ingest_instance

    garbage = os.urandom(400)
    item = ingest_instance(garbage, institution=world.centre_a, source="upload",
                           sender="alice").quarantined
    admin = client_for(world.admin)
    listing = admin.get("/admin/imaging/quarantineditem/").content.decode()
    assert "unparseable" in listing and "alice" in listing
    detail = admin.get(f"/admin/imaging/quarantineditem/{item.pk}/change/").content.decode()
    assert f"/admin/imaging/quarantineditem/{item.pk}/original/" in detail
    original = admin.get(f"/admin/imaging/quarantineditem/{item.pk}/original/")
    assert original.content == garbage
    assert AuditEntry.objects.filter(action="imaging.quarantine.download").exists()
    assert client_for(world.alice).get(
        f"/admin/imaging/quarantineditem/{item.pk}/original/").status_code == 302
    assert admin.get("/admin/imaging/remoteae/").status_code == 200


def test_registered_ae_titles_are_valid_ae_values(world):
    from django.core.exceptions import ValidationError

    from imaging.models import RemoteAE

    for bad in ("BAD\\AE", "", "A" * 17, "CT\tA", "扫描仪"):
        with pytest.raises(ValidationError):
            RemoteAE(ae_title=bad, institution=world.centre_a).full_clean()
    good = RemoteAE(ae_title=" CT_B ", institution=world.centre_a)
    good.full_clean()
    assert good.ae_title == "CT_B"


@pytest.mark.parametrize(("institution", "status"), [
    ("abc", 404), ("", 404), (" ", 404), ("1.5", 404), ("-1", 404), ("²", 404),
    ("٣", 404), ("0x10", 404), ("1e3", 404), ("9" * 19, 404), ("9" * 400, 404),
    ("\x00", 400)])  # a NUL is refused by the hostile-input middleware first
def test_a_deidentified_copy_to_a_malformed_institution_is_refused_not_a_500(
        world, ct_study, client_for, institution, status):
    uid = ct_study[0].StudyInstanceUID
    response = client_for(world.alice).post(f"/imaging/studies/{uid}/copy/",
                                            {"institution": institution, "purpose": "teaching"})
    assert response.status_code == status
    assert Study.objects.count() == 2  # no copy made


def test_a_deidentified_copy_from_the_page_reaches_the_named_institution(
        world, ct_study, client_for):
    uid = ct_study[0].StudyInstanceUID
    response = client_for(world.alice).post(
        f"/imaging/studies/{uid}/copy/",
        {"institution": str(world.centre_b.pk), "purpose": "teaching"})
    assert response.status_code == 302
    assert Study.objects.filter(institution=world.centre_b).count() == 1
