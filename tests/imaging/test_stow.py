"""STOW-RS: each part through ingest, the standard response with per-instance results."""

from __future__ import annotations

import os

import pytest

from imaging.dicomweb import multipart
from imaging.models import Instance, QuarantinedItem
from tests.imaging.dicomfiles import encode, sample, synthetic

pytestmark = pytest.mark.django_db


def post(client, parts, url="/dicomweb/studies", kind="application/dicom", **headers):
    boundary = multipart.new_boundary()
    body = b"".join(multipart.encode([(kind, p) for p in parts], boundary))
    return client.post(url, body, content_type=f'multipart/related; type="{kind}"; '
                       f"boundary={boundary}", **headers)


@pytest.fixture
def alice_token(world):
    from cloudhospital.security.tokens import create_api_token

    return {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(world.alice.user)[1]}"}


def test_stow_stores_and_answers_the_referenced_sop_sequence(world, client, alice_token):
    ds = synthetic()
    response = post(client, [encode(ds), sample("CT_small.dcm")], **alice_token)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/dicom+json"
    body = response.json()
    stored = body["00081199"]["Value"]
    assert {item["00081155"]["Value"][0] for item in stored} >= {ds.SOPInstanceUID}
    assert stored[0]["00081190"]["Value"][0].startswith("http://testserver/dicomweb/studies/")
    assert "00081198" not in body
    instance = Instance.objects.get(sop_instance_uid=ds.SOPInstanceUID)
    assert instance.series.study.institution == world.centre_a
    assert instance.source == "stow" and instance.sender == "alice"


def test_stow_reports_each_failure(world, client, alice_token):
    good, bad = synthetic(), synthetic()
    bad.Rows = 3
    response = post(client, [encode(good), encode(bad), os.urandom(500)], **alice_token)
    assert response.status_code == 202
    body = response.json()
    assert len(body["00081199"]["Value"]) == 1
    failed = body["00081198"]["Value"]
    assert [item["00081197"]["Value"][0] for item in failed] == [0xC000, 0xC000]
    assert failed[0]["00081155"]["Value"] == [bad.SOPInstanceUID]
    assert QuarantinedItem.objects.count() == 2


def test_stow_all_failed_is_409_and_conflicts_say_so(world, client, alice_token):
    ds = synthetic()
    post(client, [encode(ds)], **alice_token)
    ds.PatientName = "Changed"
    response = post(client, [encode(ds)], **alice_token)
    assert response.status_code == 409
    assert response.json()["00081198"]["Value"][0]["00081197"]["Value"] == [0x0110]


def test_stow_to_a_study_refuses_instances_of_another(world, client, alice_token):
    ds = synthetic()
    response = post(client, [encode(ds)], url="/dicomweb/studies/1.2.3.4", **alice_token)
    assert response.status_code == 409
    assert response.json()["00081198"]["Value"][0]["00081197"]["Value"] == [0xA900]
    assert QuarantinedItem.objects.get().reason == "study_mismatch"


def test_stow_needs_multipart_dicom_and_a_staff_account(world, client, alice_token):
    response = client.post("/dicomweb/studies", b"x", content_type="application/dicom",
                           **alice_token)
    assert response.status_code == 415
    no_boundary = client.post("/dicomweb/studies", b"--x\r\n\r\n--x--",
                              content_type='multipart/related; type="application/dicom"',
                              **alice_token)
    assert no_boundary.status_code == 415
    wrong_part = post(client, [b"{}"], kind="application/json", **alice_token)
    assert wrong_part.status_code == 409
    assert post(client, [b"x"]).status_code == 401
    from cloudhospital.security.tokens import create_api_token

    pat = {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(world.pat.user)[1]}"}
    assert post(client, [encode(synthetic())], **pat).status_code == 403
    assert not Instance.objects.exists()


def test_stow_with_a_session_needs_csrf(world, alice_token):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.alice.user)
    response = post(browser, [encode(synthetic())])
    assert response.status_code == 403 and response.json()["error"] == "csrf"
