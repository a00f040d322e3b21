"""Hostile input to the consultation workflow is a 4xx, never a 500 (issue 10, item 4).

Clinical dates are checked (in the future, within CONSULTATION_SCHEDULE_HORIZON_DAYS),
pages survive whatever a row holds, malformed ids are 404 on pages and 422 on the API, and
NUL characters are refused (run this module with DATABASE_URL=postgres://... as well:
PostgreSQL text cannot hold a NUL).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from clinics.consultations.models import Consultation
from tests.conftest import Api

EVERYONE_WHO_SEES = ["alice", "sam", "carol", "pat", "admin"]


def user_of(world, name):
    person = getattr(world, name)
    return getattr(person, "user", person)


def _request_body(world, **extra):
    return {"patient_id": world.pat.pk, "invited_institution_id": world.hospital.pk,
            "specialist_id": world.sam.pk, "reason": "r", "clinical_question": "q",
            "record_summary": "s", **extra}


# --- clinical date ranges -----------------------------------------------------------------

@pytest.mark.parametrize("when", [
    "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "2000-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00"])
def test_a_schedule_outside_the_horizon_or_in_the_past_is_422(world, consultation_at, when):
    consultation = consultation_at("accepted")
    response = Api(world.sam).post(f"/consultations/{consultation.pk}/schedule",
                                   {"scheduled_at": when})
    assert response.status_code == 422, response.content
    assert response.json()["error"] == "invalid_input"
    assert Consultation.objects.get(pk=consultation.pk).scheduled_at is None


def test_the_schedule_horizon_is_a_setting(world, consultation_at, settings):
    settings.CONSULTATION_SCHEDULE_HORIZON_DAYS = 30
    consultation = consultation_at("accepted")
    api = Api(world.sam)
    far = (timezone.now() + dt.timedelta(days=31)).isoformat()
    near = (timezone.now() + dt.timedelta(days=29)).isoformat()
    assert api.post(f"/consultations/{consultation.pk}/schedule",
                    {"scheduled_at": far}).status_code == 422
    assert api.post(f"/consultations/{consultation.pk}/schedule",
                    {"scheduled_at": near}).status_code == 200


def test_the_schedule_page_form_refuses_a_far_future_time(world, consultation_at):
    consultation = consultation_at("accepted")
    page = Api(world.sam, session=True).client
    response = page.post(f"/consultations/{consultation.pk}/do/schedule/",
                         {"scheduled_at": "9999-12-31T23:59"}, follow=True)
    assert response.status_code == 200
    assert Consultation.objects.get(pk=consultation.pk).scheduled_at is None


@pytest.mark.parametrize("times", [
    ["0001-01-01T00:00:00+14:00"], ["9999-12-31T23:59:59-14:00"], ["2001-01-01T08:00:00Z"],
    ["9999-12-31T23:59:59Z"]])
def test_proposed_times_outside_the_horizon_are_422_at_creation(world, times):
    response = Api(world.alice).post("/consultations", _request_body(
        world, proposed_times=times))
    assert response.status_code == 422, response.content
    assert response.json().get("field") == "proposed_times"
    assert not Consultation.objects.exists()


def test_a_proposed_time_tomorrow_is_kept(world):
    when = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    response = Api(world.alice).post("/consultations", _request_body(
        world, proposed_times=[when.isoformat()]))
    assert response.status_code == 201, response.content


def test_the_request_page_refuses_a_proposed_time_of_year_one(world):
    page = Api(world.alice, session=True).client
    response = page.post("/consultations/new/", {
        "patient": world.pat.pk, "invited_institution": world.hospital.pk,
        "specialist": world.sam.pk, "urgency": "routine", "reason": "r",
        "clinical_question": "q", "record_summary": "s", "proposed_time": "0001-01-01T00:00"})
    assert response.status_code == 200  # the form again, with the error
    assert not Consultation.objects.exists()


# --- pages never crash on a stored value --------------------------------------------------

@pytest.mark.parametrize("extreme", ["9999-12-31 23:59:59", "0001-01-01 00:00:00"])
@pytest.mark.parametrize("who", EVERYONE_WHO_SEES)
def test_pages_survive_extreme_dates_already_stored(world, consultation_at, extreme, who):
    """A row written before validation existed (or by hand) must not take the pages down."""
    consultation = consultation_at("scheduled")
    moment = dt.datetime.fromisoformat(extreme).replace(tzinfo=dt.UTC)
    Consultation.objects.filter(pk=consultation.pk).update(
        scheduled_at=moment, acknowledged_at=moment,
        proposed_times=[extreme.replace(" ", "T") + "+00:00", "not a time", 7])
    page = Api(user_of(world, who), session=True).client
    paths = [f"/consultations/{consultation.pk}/", "/consultations/"]
    paths.append("/me/" if who == "pat" else f"/consultations/{consultation.pk}/report/")
    for path in paths:
        response = page.get(path, follow=True)
        assert response.status_code in (200, 403), (path, response.status_code)
    detail = page.get(f"/consultations/{consultation.pk}/").content.decode()
    assert extreme[:4] in detail
    api = Api(user_of(world, who))
    assert api.get("/consultations").status_code == 200
    assert api.get(f"/consultations/{consultation.pk}").status_code == 200


def test_pages_survive_an_extreme_date_written_with_sql(world, consultation_at):
    consultation = consultation_at("scheduled")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE consultations_consultation SET scheduled_at = %s WHERE id = %s",
                       [dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
                        consultation.pk.hex if connection.vendor == "sqlite"
                        else consultation.pk])
    page = Api(world.alice, session=True).client
    assert page.get("/consultations/").status_code == 200
    assert page.get(f"/consultations/{consultation.pk}/").status_code == 200


# --- malformed ids and values on pages and the API ----------------------------------------

def test_malformed_consultation_ids_are_404_on_pages_and_422_or_404_on_the_api(world):
    page = Api(world.alice, session=True).client
    for path in ("/consultations/not-a-uuid/", "/consultations/not-a-uuid/report/",
                 "/consultations/not-a-uuid/room/"):
        assert page.get(path).status_code == 404, path
    assert page.post("/consultations/not-a-uuid/do/cancel/", {"reason": "x"}).status_code == 404
    api = Api(world.alice)
    for path in ("/consultations/not-a-uuid/recording-consent",
                 "/consultations/not-a-uuid/cancel", "/consultations/not-a-uuid/signaling-ticket"):
        response = api.post(path, {"allowed": True, "reason": "x"})
        assert response.status_code in (404, 422), (path, response.status_code)
        assert response.json()["error"] in ("not_found", "invalid_input")


@pytest.mark.parametrize("institution", ["abc", "99999999999999999999999", "-1", "1.5", "١"])
def test_the_request_form_with_a_non_integer_or_huge_institution_is_not_a_500(
        world, institution):
    page = Api(world.alice, session=True).client
    response = page.post("/consultations/new/", {
        "patient": world.pat.pk, "invited_institution": institution, "specialist": "x" * 30,
        "department": "99999999999999999999999", "urgency": "routine", "reason": "r",
        "clinical_question": "q", "record_summary": "s"})
    assert response.status_code in (200, 400, 404, 422)
    assert not Consultation.objects.exists()


@pytest.mark.parametrize("field", ["invited_institution_id", "patient_id", "specialist_id",
                                   "department_id"])
def test_huge_ids_in_a_request_are_422(world, field):
    response = Api(world.alice).post("/consultations", _request_body(
        world, **{field: 99999999999999999999999}))
    assert response.status_code == 422


# --- NUL characters (a 500 on PostgreSQL) ------------------------------------------------

def test_a_nul_in_any_text_of_a_request_is_422(world):
    for field in ("reason", "clinical_question", "record_summary"):
        response = Api(world.alice).post("/consultations",
                                         _request_body(world, **{field: "a\x00b"}))
        assert response.status_code == 422, field
    assert not Consultation.objects.exists()


def test_a_nul_in_a_patient_name_or_a_cancel_reason_is_refused(world, consultation_at):
    from clinics.idcard import make_national_id

    api = Api(world.alice)
    number = make_national_id("210102", dt.date(1970, 1, 1), 7)
    response = api.post("/patients", {"name": "Z\x00hang", "sex": "F",
                                      "date_of_birth": "1970-01-01", "national_id": number})
    assert response.status_code == 422
    consultation = consultation_at("requested")
    assert api.post(f"/consultations/{consultation.pk}/cancel",
                    {"reason": "no\x00pe"}).status_code == 422
    page = Api(world.alice, session=True).client
    response = page.post(f"/consultations/{consultation.pk}/do/cancel/", {"reason": "no\x00pe"})
    assert response.status_code in (400, 422)
    assert page.post(f"/consultations/{consultation.pk}/do/consent/", {
        "signed_by": "P\x00at", "relation": "self", "signed_at": "2026-01-01T10:00",
        "method": "written"}).status_code in (400, 422)
    assert Consultation.objects.get(pk=consultation.pk).status == "requested"


def test_a_nul_in_a_report_is_422(world, consultation_at):
    consultation = consultation_at("in_progress")
    response = Api(world.sam).put(f"/consultations/{consultation.pk}/report",
                                  {"findings": "f\x00", "opinion": "o"})
    assert response.status_code == 422


@pytest.mark.parametrize("signed_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z",
                                       "1900-01-01T00:00:00+08:00"])
def test_consent_signed_at_an_absurd_time_is_422(world, consultation_at, signed_at):
    consultation = consultation_at("draft")
    response = Api(world.alice).post(f"/consultations/{consultation.pk}/consent", {
        "signed_by": "Pat", "relation": "self", "signed_at": signed_at, "method": "written"})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "signed_at"
    page = Api(world.alice, session=True).client
    assert page.get(f"/consultations/{consultation.pk}/").status_code == 200
