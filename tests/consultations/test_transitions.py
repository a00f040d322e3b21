"""Every state transition of a consultation, allowed and refused, through the API."""

import datetime as dt

import pytest
from django.utils import timezone

from clinics.consultations.models import TRANSITIONS, Consultation

STEP_TO = {"submit": "requested", "accept": "accepted", "decline": "declined",
           "schedule": "scheduled", "start": "in_progress", "complete": "completed",
           "cancel": "cancelled"}
REACHABLE = ["draft", "requested", "accepted", "scheduled", "in_progress", "completed",
             "declined", "cancelled"]


def _body(step):
    if step in {"decline", "cancel"}:
        return {"reason": "because"}
    if step == "schedule":
        return {"scheduled_at": (timezone.now() + dt.timedelta(hours=2)).isoformat()}
    return {}


def _actor(world, step):
    return world.alice.user if step in {"submit", "cancel"} else world.sam.user


def _at(world, consultation_at, status):
    from clinics.consultations import actions

    if status == "declined":
        return actions.decline(world.sam.user, consultation_at("requested"), reason="no")
    if status == "cancelled":
        return actions.cancel(world.alice.user, consultation_at("draft"), reason="moved")
    consultation = consultation_at(status)
    if status == "in_progress":  # complete needs a signed report
        actions.save_report_draft(world.sam.user, consultation, findings="f", opinion="o",
                                  recommendations="")
        actions.sign_report(world.sam.user, consultation)
    if status == "draft":  # submit needs consent
        actions.record_consent(world.alice.user, consultation, signed_by="Pat",
                               relation="self", signed_at=timezone.now(), method="written")
    return consultation


@pytest.mark.parametrize("status", REACHABLE)
@pytest.mark.parametrize("step", list(STEP_TO))
def test_each_step_from_each_state(world, consultation_at, api_as, status, step):
    consultation = _at(world, consultation_at, status)
    response = api_as(_actor(world, step)).post(
        f"/consultations/{consultation.pk}/{step}", _body(step))
    target = STEP_TO[step]
    if _actor(world, step) == world.sam.user and status in {"draft", "cancelled"}:
        # never sent: the inviting side's draft, which the specialist may not know of
        assert response.status_code == 404, response.json()
        assert Consultation.objects.get(pk=consultation.pk).status == status
    elif target in TRANSITIONS[status]:
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == target
        assert Consultation.objects.get(pk=consultation.pk).status == target
    else:
        assert response.status_code == 409, response.json()
        assert response.json()["error"] == "invalid_transition"
        assert response.json()["status"] == status
        assert Consultation.objects.get(pk=consultation.pk).status == status


def test_consent_is_required_before_sending(world, consultation_at, api_as):
    consultation = consultation_at("draft")
    response = api_as(world.alice.user).post(f"/consultations/{consultation.pk}/submit")
    assert response.status_code == 422
    assert response.json()["field"] == "consent"
    assert Consultation.objects.get(pk=consultation.pk).status == "draft"


def test_consent_records_who_signed_relation_when_and_how(world, consultation_at, api_as):
    consultation = consultation_at("draft")
    signed = (timezone.now() - dt.timedelta(minutes=3)).isoformat()
    response = api_as(world.alice.user).post(
        f"/consultations/{consultation.pk}/consent",
        {"signed_by": "Pat's daughter", "relation": "child", "signed_at": signed,
         "method": "written"})
    assert response.status_code == 200
    assert response.json()["consent"]["relation"] == "child"
    assert response.json()["consent"]["signed_by"] == "Pat's daughter"


@pytest.mark.parametrize("body, field", [
    ({"relation": "neighbour", "method": "written"}, "relation"),
    ({"relation": "self", "method": "verbal"}, "method"),
])
def test_consent_with_bad_values_is_refused(world, consultation_at, api_as, body, field):
    consultation = consultation_at("draft")
    response = api_as(world.alice.user).post(
        f"/consultations/{consultation.pk}/consent",
        {"signed_by": "Pat", "signed_at": timezone.now().isoformat(), **body})
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_consent_in_the_future_is_refused(world, consultation_at, api_as):
    consultation = consultation_at("draft")
    response = api_as(world.alice.user).post(
        f"/consultations/{consultation.pk}/consent",
        {"signed_by": "Pat", "relation": "self", "method": "written",
         "signed_at": (timezone.now() + dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 422


def test_an_unlicensed_doctor_cannot_request(world, api_as):
    response = api_as(world.dora.user).post("/consultations", {
        "patient_id": world.pat.pk, "invited_institution_id": world.hospital.pk,
        "specialist_id": world.sam.pk, "reason": "r", "clinical_question": "q",
        "record_summary": "s"})
    assert response.status_code == 403
    assert "执业证书" in response.json()["message"]  # licence, in Chinese by default


def test_an_unlicensed_specialist_cannot_accept(world, consultation_at, api_as):
    consultation = consultation_at("requested")
    world.sam.licence_verified = False
    world.sam.save()
    response = api_as(world.sam.user).post(f"/consultations/{consultation.pk}/accept")
    assert response.status_code == 403
    assert Consultation.objects.get(pk=consultation.pk).status == "requested"


def test_a_request_addressed_to_a_department_is_accepted_by_its_specialist(world, api_as):
    client = api_as(world.alice.user)
    created = client.post("/consultations", {
        "patient_id": world.pat.pk, "invited_institution_id": world.hospital.pk,
        "department_id": world.endocrinology.pk, "reason": "r", "clinical_question": "q",
        "record_summary": "s", "urgency": "urgent",
        "proposed_times": [(timezone.now() + dt.timedelta(days=1)).isoformat()]})
    assert created.status_code == 201, created.json()
    cid = created.json()["id"]
    client.post(f"/consultations/{cid}/consent", {
        "signed_by": "Pat", "relation": "self", "method": "electronic",
        "signed_at": timezone.now().isoformat()})
    assert client.post(f"/consultations/{cid}/submit").status_code == 200
    assert api_as(world.sam.user).post(f"/consultations/{cid}/accept").status_code == 404
    accepted = api_as(world.tom.user).post(f"/consultations/{cid}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["specialist"]["name"] == "Tom"
    assert accepted.json()["specialist"]["licence_number"] == world.tom.licence_number


def test_the_wrong_side_cannot_take_a_step(world, consultation_at, api_as):
    consultation = consultation_at("requested")
    response = api_as(world.alice.user).post(f"/consultations/{consultation.pk}/accept")
    assert response.status_code == 403
    response = api_as(world.sam.user).post(f"/consultations/{consultation.pk}/cancel",
                                           {"reason": "x"})
    assert response.status_code == 403


def test_scheduling_in_the_past_is_refused(world, consultation_at, api_as):
    consultation = consultation_at("accepted")
    response = api_as(world.sam.user).post(
        f"/consultations/{consultation.pk}/schedule",
        {"scheduled_at": (timezone.now() - dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    assert Consultation.objects.get(pk=consultation.pk).status == "accepted"
