"""Hostile and malformed input: a clear 4xx JSON error, never a 500, nothing changed."""

import uuid

import pytest
from django.utils import timezone

from clinics.referrals.models import Referral


def _base(world, **extra):
    return {"patient_id": world.pat.pk, "direction": "up", "to_institution_id": world.hospital.pk,
            "to_department_id": world.cardiology.pk, "reason": "r", "summary": "s", **extra}


@pytest.mark.parametrize("make_body", [
    lambda w: "{not json",
    lambda w: "[]",
    lambda w: '"a string"',
    lambda w: {},
    lambda w: _base(w, patient_id="abc"),
    lambda w: _base(w, direction="sideways"),
    lambda w: _base(w, urgency="whenever"),
    lambda w: _base(w, reason=""),
    lambda w: _base(w, reason="chest\x00pain"),
    lambda w: _base(w, summary="x\x00"),
    lambda w: _base(w, medication="\x00"),
    lambda w: _base(w, reason="x" * 5001),
    lambda w: _base(w, summary="长" * 20001),
    lambda w: _base(w, patient_id=10**12),
    lambda w: _base(w, patient_id=10**30),
    lambda w: _base(w, patient_id=-1),
    lambda w: _base(w, to_institution_id=10**18),
    lambda w: _base(w, to_department_id=2**63),
    lambda w: _base(w, to_doctor_id=-5),
    lambda w: _base(w, consultation_id="not-a-uuid"),
    lambda w: _base(w, consultation_id=str(uuid.uuid4())),
    lambda w: _base(w, diagnoses=[{"icd10": "I10\x00", "name": "x"}]),
    lambda w: _base(w, diagnoses=[{"icd10": "I10", "name": "x"}] * 21),
    lambda w: _base(w, followup={"condition": "I10", "interval_days": 10**9}),
    lambda w: _base(w, reason=["a", "list"]),
    lambda w: _base(w, reason={"$gt": ""}),
])
def test_bad_referral_requests_get_4xx_json(world, api_as, make_body):
    response = api_as(world.alice.user).post("/referrals", make_body(world))
    assert 400 <= response.status_code < 500, response.content
    assert set(response.json()) >= {"error", "message"}
    assert not Referral.objects.exists()


@pytest.mark.parametrize("step,body", [
    ("consent", {"signed_by": "P\x00t", "relation": "self", "method": "written"}),
    ("consent", {"signed_by": "Pat", "relation": "self\x00", "method": "written"}),
    ("consent", {"signed_by": "Pat", "relation": "self", "method": "written",
                 "signed_at": "not a time"}),
    ("consent", {"signed_by": "Pat", "relation": "self", "method": "written",
                 "signed_at": "2026-01-01T10:00:00"}),  # naive
    ("cancel", {"reason": "\x00"}),
    ("cancel", {"reason": "x" * 2001}),
    ("cancel", {}),
])
def test_bad_bodies_on_a_draft_get_4xx(world, up_at, api_as, step, body):
    referral = up_at("draft")
    if "signed_by" in body:
        body.setdefault("signed_at", timezone.now().isoformat())
    response = api_as(world.alice.user).post(f"/referrals/{referral.pk}/{step}", body)
    assert 400 <= response.status_code < 500, response.content
    assert Referral.objects.get(pk=referral.pk).status == "draft"


@pytest.mark.parametrize("body", [
    {"appointment_at": "tomorrow"},
    {"appointment_at": "2030-01-01T09:00:00"},  # naive
    {"admission": {"ward": ""}},
    {"admission": {"ward": "W\x00"}},
    {"admission": "ward 3"},
    {"appointment_at": "2030-01-01T09:00:00+08:00", "location": "x\x00"},
    {"appointment_at": "2030-01-01T09:00:00+08:00", "bring": "b" * 2001},
    {"appointment_at": "9999-12-31T23:59:59+14:00"},
])
def test_bad_acceptances_get_4xx(world, up_at, api_as, body):
    referral = up_at("requested")
    response = api_as(world.sam.user).post(f"/referrals/{referral.pk}/accept", body)
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.content
    if response.status_code != 200:
        assert Referral.objects.get(pk=referral.pk).status == "requested"


@pytest.mark.parametrize("path", [
    "/referrals/not-a-uuid", f"/referrals/{uuid.uuid4()}", "/referrals/%00",
    "/referrals/" + "9" * 5000, f"/referrals/{uuid.uuid4()}/accept",
    "/referrals?status=bogus", "/referrals?direction=%00",
])
def test_unknown_or_malformed_ids_get_4xx_json(world, api_as, path):
    method = "post" if path.endswith("/accept") else "get"
    response = getattr(api_as(world.alice.user), method)(path)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["error"]


def test_a_huge_body_is_refused_before_it_is_read(world, api_as, settings):
    body = '{"reason": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '"}'
    response = api_as(world.alice.user).post("/referrals", body)
    assert 400 <= response.status_code < 500
    assert not Referral.objects.exists()


def test_session_auth_needs_csrf_for_writes(world, client):
    client.force_login(world.alice.user)
    client.handler.enforce_csrf_checks = True
    response = client.post("/api/v1/referrals", "{}", content_type="application/json")
    assert response.status_code in (401, 403)
    assert client.get("/api/v1/referrals").status_code == 200
