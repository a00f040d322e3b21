"""Uploads (page and ``import_dicom``): zip members inflated under running limits, the
body's size and the uploader checked before the body is parsed."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from imaging import sources
from imaging.models import Instance, QuarantinedItem
from tests.imaging import hostile
from tests.imaging.dicomfiles import encode, series

MiB = hostile.MiB


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_a_zip_bomb_member_is_refused_while_inflating_and_never_quarantined(
        world, client_for, tmp_path):
    """One 256 MiB member of zeros in a ~260 KB zip: refused at IMAGING_MAX_INSTANCE_BYTES,
    the process grows by less than the budget, nothing is written."""
    bomb = hostile.zip_bomb(tmp_path / "bomb.zip", 256 * MiB)
    assert bomb.stat().st_size < 1 * MiB
    alice = client_for(world.alice)
    with bomb.open("rb") as fh, hostile.peak_rss_growth() as growth:
        response = alice.post("/imaging/upload/", {"files": [fh]}, follow=True)
    assert response.status_code == 200
    assert "IMAGING_MAX_INSTANCE_BYTES" in _messages(response)
    assert not QuarantinedItem.objects.exists() and not Instance.objects.exists()
    assert growth() < 200 * MiB


def test_the_member_limit_holds_even_when_the_zip_header_understates_the_size(settings):
    """Sizes come from inflating, never from the header: a member whose local and central
    headers say 10 bytes is still read only up to the limit."""
    settings.IMAGING_MAX_INSTANCE_BYTES = 1 * MiB
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.dcm", bytes(2 * MiB))
    raw = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.index(signature)
        raw[at + offset:at + offset + 4] = (10).to_bytes(4, "little")
    with pytest.raises((sources.TooLarge, zipfile.BadZipFile)):
        list(sources.from_zip(io.BytesIO(bytes(raw)), "lying.zip"))


def test_an_upload_with_more_members_than_allowed_is_refused(settings, tmp_path):
    settings.IMAGING_MAX_UPLOAD_MEMBERS = 2
    path = hostile.zip_bomb(tmp_path / "many.zip", 10, members=3)
    with pytest.raises(sources.TooLarge, match="IMAGING_MAX_UPLOAD_MEMBERS"):
        list(sources.from_zip(path.open("rb"), "many.zip"))


def test_the_total_inflated_size_of_an_upload_is_bounded(settings, tmp_path):
    settings.IMAGING_MAX_UPLOAD_INFLATED_BYTES = 5 * MiB // 2
    path = hostile.zip_bomb(tmp_path / "three.zip", MiB, members=3)
    with pytest.raises(sources.TooLarge, match="IMAGING_MAX_UPLOAD_INFLATED_BYTES"):
        list(sources.from_zip(path.open("rb"), "three.zip"))


def test_import_dicom_applies_the_same_limits(world, settings, tmp_path):
    settings.IMAGING_MAX_INSTANCE_BYTES = 1 * MiB
    hostile.zip_bomb(tmp_path / "bomb.zip", 2 * MiB)
    with pytest.raises(CommandError, match="IMAGING_MAX_INSTANCE_BYTES"):
        call_command("import_dicom", str(tmp_path), "--institution", "Centre A",
                     "--no-progress")
    (tmp_path / "bomb.zip").unlink()
    (tmp_path / "big.dcm").write_bytes(bytes(2 * MiB))
    with pytest.raises(CommandError, match="IMAGING_MAX_INSTANCE_BYTES"):
        call_command("import_dicom", str(tmp_path), "--institution", "Centre A",
                     "--no-progress")
    assert not QuarantinedItem.objects.exists()


def test_an_upload_body_over_the_limit_is_refused_before_it_is_parsed(world, client_for,
                                                                      settings):
    settings.IMAGING_MAX_UPLOAD_BYTES = 1000
    files = [SimpleUploadedFile(f"{i}.dcm", encode(ds)) for i, ds in enumerate(series(2))]
    response = client_for(world.alice).post("/imaging/upload/", {"files": files})
    assert response.status_code == 413
    assert "IMAGING_MAX_UPLOAD_BYTES" in response.content.decode()
    assert not Instance.objects.exists()


def test_an_anonymous_upload_is_sent_to_login_without_its_body_being_parsed(world):
    client = Client()
    response = client.post("/imaging/upload/", {"files": [SimpleUploadedFile(
        "x.dcm", encode(series(1)[0]))]})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Instance.objects.exists()


def test_the_upload_page_still_checks_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice.user)
    response = client.post("/imaging/upload/", {"files": [SimpleUploadedFile(
        "x.dcm", encode(series(1)[0]))]})
    assert response.status_code == 403
    assert not Instance.objects.exists()


def test_refused_uploads_make_at_most_the_quarantine_quota_of_rows(world, client_for,
                                                                   settings):
    settings.IMAGING_MAX_QUARANTINE_PER_REQUEST = 3
    files = [SimpleUploadedFile(f"{i}.dcm", b"not dicom") for i in range(6)]
    response = client_for(world.alice).post("/imaging/upload/", {"files": files},
                                            follow=True)
    assert response.status_code == 200
    assert QuarantinedItem.objects.count() == 3
