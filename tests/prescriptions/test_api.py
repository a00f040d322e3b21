"""/api/v1/drugs and /api/v1/prescriptions: the names programs rely on, the error codes,
and hostile inputs (4xx, never 500)."""

from __future__ import annotations

import pytest

from clinics.prescriptions.models import Prescription
from tests.prescriptions.conftest import api_item


@pytest.fixture
def as_alice(world, rx, api_as):
    return api_as(world.alice.user)


def _create(api, world, rx, *items, **extra):
    body = {"patient_id": world.pat.pk, "visit_id": rx.visit.pk,
            "items": list(items) or [api_item()], **extra}
    return api.post("/prescriptions", body)


def test_the_catalogue_is_searchable_and_shows_restricted_drugs(world, rx, as_alice):
    found = as_alice.get("/drugs?q=氨氯地平").json()
    assert [(d["code"], d["name"], d["restricted"]) for d in found] == [
        ("AMLO5", "氨氯地平片", False)]
    assert as_alice.get("/drugs?q=MORPH10").json()[0]["restricted"] is True


def test_the_doctor_writes_signs_and_the_pharmacist_approves_over_the_api(world, rx, api_as,
                                                                         as_alice):
    created = _create(as_alice, world, rx)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["patient_id"] == world.pat.pk
    pid = body["id"]
    assert as_alice.post(f"/prescriptions/{pid}/sign").json()["status"] == "signed"
    pharmacist = api_as(rx.phil.user)
    assert [p["id"] for p in pharmacist.get("/prescriptions").json()] == [pid]
    approved = pharmacist.post(f"/prescriptions/{pid}/approve", {"reason": ""}).json()
    assert approved["status"] == "approved" and approved["valid"] is True
    assert approved["verify_url"].startswith("http://testserver/prescriptions/verify/")
    verified = as_alice.get(f"/prescriptions/{pid}/verify").json()
    assert verified["valid"] is True and verified["signer"] == "Alice"
    assert verified["licence_number"] == world.alice.licence_number
    patient = api_as(world.pat.user)
    assert patient.get(f"/prescriptions/{pid}").json()["days_left"] == 28
    renewal = patient.post(f"/prescriptions/{pid}/renewal-request", {"note": "快吃完了"})
    assert renewal.status_code == 201 and renewal.json()["status"] == "waiting"
    renewed = as_alice.post("/prescriptions", {
        "patient_id": world.pat.pk, "renewal_request_id": renewal.json()["id"],
        "items": [api_item()]})
    assert renewed.status_code == 201
    dispensed = pharmacist.post(f"/prescriptions/{pid}/dispense", {"method": "pickup"})
    assert dispensed.json()["status"] == "dispensed"
    revoke = as_alice.post(f"/prescriptions/{pid}/revoke", {"reason": "x"})
    assert revoke.status_code == 409 and revoke.json()["status"] == "dispensed"
    assert revoke.json()["error"] == "invalid_transition"


@pytest.mark.parametrize("items,extra,code", [
    ([api_item("METF500", dose="0.5", unit="g")], {}, "not_eligible"),
    ([api_item("DIAZ25", dose="2.5")], {}, "restricted_drug"),
    ([api_item(days=60, quantity=60)], {"long_term": True}, "too_long"),
    ([api_item(days=29, quantity=29)], {}, "too_long"),
])
def test_refusals_answer_422_with_their_code(world, rx, as_alice, items, extra, code):
    response = _create(as_alice, world, rx, *items, **extra)
    assert response.status_code == 422 and response.json()["error"] == code
    assert response.json()["message"]


def test_a_young_child_without_a_guardian_answers_guardian_required(world, rx, as_alice):
    import datetime as dt

    from django.utils import timezone

    type(world.pat).objects.filter(pk=world.pat.pk).update(
        date_of_birth=timezone.localdate() - dt.timedelta(days=365 * 3))
    response = _create(as_alice, world, rx)
    assert response.status_code == 422 and response.json()["error"] == "guardian_required"
    assert _create(as_alice, world, rx, guardian_present=True).status_code == 201


def test_no_visit_or_another_patients_visit_is_not_eligible(world, rx, as_alice):
    assert _create(as_alice, world, rx, visit_id=None).json()["error"] == "not_eligible"
    other = _create(as_alice, world, rx, patient_id=world.quinn.pk)
    assert other.status_code == 422 and other.json()["error"] == "not_eligible"


def test_a_wrong_move_is_409_with_the_current_status(world, rx, api_as, as_alice):
    pid = _create(as_alice, world, rx).json()["id"]
    response = api_as(rx.phil.user).post(f"/prescriptions/{pid}/approve", {})
    # a pharmacist does not see drafts at all
    assert response.status_code == 404
    as_alice.post(f"/prescriptions/{pid}/sign")
    again = as_alice.post(f"/prescriptions/{pid}/sign")
    assert again.status_code == 409 and again.json()["status"] == "signed"


HOSTILE_ITEMS = [
    api_item("AMLO5\x00"), api_item("NOPE"), api_item("../../etc"), api_item(dose="-5"),
    api_item(dose="0"), api_item(dose="1e9"), api_item(dose="NaN"), api_item(days=-1),
    api_item(days=0), api_item(days=10**9), api_item(quantity=-3), api_item(quantity=10**12),
    api_item(unit="mg\x00"), api_item(unit="g"), api_item(frequency="hourly"),
    api_item(route="iv\x00"), api_item(days="lots"), {"drug_code": "AMLO5"},
]


@pytest.mark.parametrize("bad", HOSTILE_ITEMS)
def test_hostile_items_are_refused_with_4xx(world, rx, as_alice, bad):
    response = _create(as_alice, world, rx, bad)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["error"]
    assert not Prescription.objects.exists()


@pytest.mark.parametrize("body", [
    {"patient_id": 2**70, "visit_id": 1, "items": []},
    {"patient_id": -1, "visit_id": 1, "items": []},
    {"patient_id": 1, "visit_id": 2**64, "items": [api_item()]},
    {"patient_id": 1, "renewal_request_id": 99999999, "items": [api_item()]},
    {"patient_id": 1, "visit_id": 1, "items": [api_item()] * 50},
    {"patient_id": 1, "visit_id": 1, "items": [api_item()], "note": "a\x00b"},
    {"patient_id": 1, "visit_id": 1, "items": [api_item()], "note": "x" * 5000},
    {"patient_id": "1; drop table", "items": []},
])
def test_hostile_bodies_are_refused_with_4xx(world, rx, as_alice, body):
    response = as_alice.post("/prescriptions", body)
    assert 400 <= response.status_code < 500 and response.json()["error"]


@pytest.mark.parametrize("path", [
    "/prescriptions/not-a-uuid", "/prescriptions/00000000-0000-0000-0000-000000000000",
    "/prescriptions/00000000-0000-0000-0000-000000000000/verify", "/prescriptions/%00",
    "/drugs?q=" + "x" * 500, "/drugs?q=%00", "/prescriptions?status=%00",
])
def test_bad_ids_and_queries_are_4xx(world, rx, as_alice, path):
    response = as_alice.get(path)
    assert 400 <= response.status_code < 500


def test_hostile_reasons_are_4xx(world, rx, api_as, as_alice):
    pid = _create(as_alice, world, rx).json()["id"]
    as_alice.post(f"/prescriptions/{pid}/sign")
    pharmacist = api_as(rx.phil.user)
    for body in ({"reason": "no\x00"}, {"reason": "y" * 3000}, {"reason": 5}, "not json"):
        response = pharmacist.post(f"/prescriptions/{pid}/reject", body)
        assert 400 <= response.status_code < 500
    assert pharmacist.post(f"/prescriptions/{pid}/dispense",
                           {"method": "drone"}).status_code == 422
    assert pharmacist.post(f"/prescriptions/{pid}/reject", {"reason": ""}).status_code == 422


def test_anonymous_callers_are_401(world, rx, api_as):
    assert api_as(None).get("/prescriptions").status_code == 401
    assert api_as(None).get("/drugs").status_code == 401


def test_refusals_are_in_chinese_by_default_and_english_on_request(world, rx, as_alice):
    from django.core.management import call_command
    from django.utils.translation import trans_real

    call_command("compilemessages_py", verbosity=0)
    trans_real._translations.clear()
    chinese = _create(as_alice, world, rx, api_item("DIAZ25", dose="2.5")).json()
    assert "不得在线开具" in chinese["message"] and "精神药品" in chinese["message"]
    as_alice.client.cookies["django_language"] = "en"  # what the language switch sets
    english = _create(as_alice, world, rx, api_item("DIAZ25", dose="2.5")).json()
    assert "may not be prescribed online" in english["message"]
