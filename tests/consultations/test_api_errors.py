"""Bad API input answers a 4xx JSON error and changes nothing."""

import uuid

import pytest

from clinics.consultations.models import Consultation


@pytest.mark.parametrize("body", [
    "{not json",
    "[]",
    '"a string"',
    {},
    {"patient_id": "abc"},
    {"patient_id": 1, "invited_institution_id": 1, "reason": "", "clinical_question": "q",
     "record_summary": "s"},
    {"patient_id": 1, "invited_institution_id": 1, "reason": "r", "clinical_question": "q",
     "record_summary": "s", "urgency": "whenever"},
    {"patient_id": 10**12, "invited_institution_id": 10**12, "reason": "r",
     "clinical_question": "q", "record_summary": "s"},
    {"patient_id": 1, "invited_institution_id": 1, "reason": "r", "clinical_question": "q",
     "record_summary": "s", "proposed_times": ["yesterday-ish"]},
])
def test_bad_consultation_requests_get_4xx_json(world, api_as, body):
    before = Consultation.objects.count()
    response = api_as(world.alice.user).post("/consultations", body)
    assert 400 <= response.status_code < 500, response.content
    assert set(response.json()) >= {"error", "message"}
    assert Consultation.objects.count() == before


def test_a_request_to_the_own_institution_or_wrong_specialist_is_refused(world, api_as):
    base = {"patient_id": world.pat.pk, "reason": "r", "clinical_question": "q",
            "record_summary": "s"}
    client = api_as(world.alice.user)
    own = client.post("/consultations", {**base, "invited_institution_id": world.centre_a.pk,
                                         "specialist_id": world.sam.pk})
    assert own.status_code == 422
    wrong = client.post("/consultations", {**base, "invited_institution_id": world.centre_b.pk,
                                           "specialist_id": world.sam.pk})
    assert wrong.status_code == 422 and wrong.json()["field"] == "specialist"
    nobody = client.post("/consultations", {**base, "invited_institution_id": world.hospital.pk})
    assert nobody.status_code == 422


def test_another_institutions_patient_cannot_be_referred(world, api_as):
    response = api_as(world.oscar.user).post("/consultations", {
        "patient_id": world.pat.pk, "invited_institution_id": world.hospital.pk,
        "specialist_id": world.sam.pk, "reason": "r", "clinical_question": "q",
        "record_summary": "s"})
    assert response.status_code == 422


@pytest.mark.parametrize("path", [
    "/consultations/not-a-uuid", f"/consultations/{uuid.uuid4()}",
    f"/consultations/{uuid.uuid4()}/reports/abc/verify", "/patients/abc", "/patients/999999",
    "/no/such/endpoint",
])
def test_unknown_or_malformed_ids_get_4xx_json(world, api_as, path):
    response = api_as(world.alice.user).get(path)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]


def test_a_wrong_method_gets_405_not_500(world, api_as):
    response = api_as(world.alice.user)._call("delete", "/consultations")
    assert response.status_code == 405


def test_session_auth_needs_csrf_for_writes(world, client):
    client.force_login(world.alice.user)
    client.handler.enforce_csrf_checks = True
    response = client.post("/api/v1/consultations", "{}", content_type="application/json")
    assert response.status_code in (401, 403)
    assert client.get("/api/v1/consultations").status_code == 200
