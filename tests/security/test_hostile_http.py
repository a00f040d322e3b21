"""Never a 500, whatever the HTTP input: bodies measured before they are read, NUL bytes
and out-of-range integers refused, error pages in Chinese, an API that keeps to its
OpenAPI document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from channels.testing import HttpCommunicator

ROOT = Path(__file__).resolve().parents[2]


def platform():
    from cloudhospital.asgi import application

    return application


async def _http(method, path, body=b"", headers=()):
    comm = HttpCommunicator(platform(), method, path, body=body, headers=list(headers))
    return await comm.get_response(timeout=10)


# --- bodies -------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
async def test_a_declared_30_mb_json_body_is_413_before_it_is_read(world):
    from channels.db import database_sync_to_async

    from cloudhospital.security.tokens import create_api_token

    _, raw = await database_sync_to_async(create_api_token)(world.alice.user)
    response = await _http("POST", "/api/v1/consultations", b"{}", [
        (b"authorization", f"Bearer {raw}".encode()), (b"content-type", b"application/json"),
        (b"content-length", str(30 * 1024 * 1024).encode())])
    assert response["status"] == 413
    assert json.loads(response["body"])["error"] == "body_too_large"


@pytest.mark.django_db(transaction=True)
async def test_a_body_over_the_budget_without_a_length_is_cut_off_with_413(world, settings):
    from channels.db import database_sync_to_async

    from cloudhospital.security.tokens import create_api_token

    settings.HTTP_BODY_MAX_BYTES = 1000
    _, raw = await database_sync_to_async(create_api_token)(world.alice.user)
    body = json.dumps({"reason": "x" * 5000}).encode()
    response = await _http("POST", "/api/v1/consultations", body, [
        (b"authorization", f"Bearer {raw}".encode()), (b"content-type", b"application/json"),
        (b"transfer-encoding", b"chunked")])
    assert response["status"] == 413


@pytest.mark.django_db(transaction=True)
async def test_an_anonymous_api_body_is_refused_401_before_it_is_read(world):
    response = await _http("POST", "/api/v1/consultations", b"x" * 1000, [
        (b"content-type", b"application/json"), (b"content-length", b"1000")])
    assert response["status"] == 401
    assert json.loads(response["body"])["error"] == "unauthorized"
    response = await _http("POST", "/api/v1/consultations", b"{}", [
        (b"authorization", b"Bearer chk_forged"), (b"content-length", b"2")])
    assert response["status"] == 401


@pytest.mark.django_db(transaction=True)
async def test_an_oversized_page_form_gets_a_chinese_413_page(world, settings):
    settings.HTTP_BODY_MAX_BYTES = 100
    response = await _http("POST", "/accounts/login/", b"u=" + b"x" * 200, [
        (b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"202")])
    assert response["status"] == 413
    assert "请求过大" in response["body"].decode()
    response = await _http("POST", "/accounts/login/", b"u=" + b"x" * 200, [
        (b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"202"),
        (b"cookie", b"django_language=en")])
    assert "Request too large" in response["body"].decode()


@pytest.mark.django_db(transaction=True)
async def test_a_content_length_that_is_not_a_number_is_400(world):
    response = await _http("POST", "/api/v1/consultations", b"{}",
                           [(b"content-length", b"12abc")])
    assert response["status"] == 400


def test_a_big_json_body_through_django_alone_is_413_not_500(world, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(world.alice.user).post("/consultations", {"reason": "x" * 5000})
    assert response.status_code == 413


# --- NUL bytes ----------------------------------------------------------------------------

def test_a_nul_byte_in_an_api_query_or_json_string_is_422(world, api_as):
    api = api_as(world.alice.user)
    response = api.get("/patients?q=a%00b")
    assert response.status_code == 422 and response.json()["error"] == "invalid_input"
    response = api.post("/consultations", {"patient_id": world.pat.pk, "reason": "a\x00b"})
    assert response.status_code == 422
    response = api.post("/consultations", {"nested": [{"k\x00": 1}]})
    assert response.status_code == 422
    # an escaped backslash followed by "u0000" is text, not a NUL
    response = api.post("/consultations", '{"reason": "\\\\u0000"}')
    assert response.status_code != 500


def test_a_nul_byte_in_a_page_form_or_query_is_a_400_page(world, client):
    client.force_login(world.alice.user)
    response = client.post("/consultations/new/", {"reason": "a\x00b"})
    assert response.status_code == 400
    assert "请求无效" in response.content.decode()
    assert client.get("/consultations/?q=%00").status_code == 400
    assert client.get("/imaging/studies/1.2.3%00/").status_code == 400


# --- integers -----------------------------------------------------------------------------

def test_an_integer_beyond_the_database_range_is_422_not_500(world, api_as):
    response = api_as(world.alice.user).get("/specialists?institution_id=99999999999999999999999")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"


# --- error pages and DEBUG ----------------------------------------------------------------

def test_error_pages_are_chinese_by_default_and_english_on_request(world, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()
    client.cookies["django_language"] = "en"
    assert "Page not found" in client.get("/no-such-page/").content.decode()


def test_the_500_page_is_chinese(rf, settings):
    from django.utils import translation

    from cloudhospital.core.views import server_error

    with translation.override("zh-hans"):
        response = server_error(rf.get("/consultations/"))
    assert response.status_code == 500 and "我们这边出了问题" in response.content.decode()
    assert server_error(rf.get("/api/v1/x")).status_code == 500


def _settings_value(name: str, **env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "PRODUCTION"}}
    result = subprocess.run([sys.executable, "-c",
                             f"import cloudhospital.settings as s; print(s.{name})"],
                            env={**clean, **env}, cwd=ROOT, capture_output=True, text=True,
                            check=True)
    return result.stdout.strip()


def test_debug_is_off_unless_asked_for():
    assert _settings_value("DEBUG") == "False"
    assert _settings_value("DEBUG", DEBUG="true") == "True"


# --- the API keeps to its OpenAPI document ------------------------------------------------

def test_booleans_are_strict(world, consultation_at, api_as):
    consultation = consultation_at("scheduled")
    api = api_as(world.sam.user)
    for value in [0, 1, "true", "yes", None]:
        response = api.post(f"/consultations/{consultation.pk}/recording-consent",
                            {"allowed": value})
        assert response.status_code == 422, value
    response = api.post(f"/consultations/{consultation.pk}/recording-consent",
                        {"allowed": False})
    assert response.status_code == 200 and response.json()["allowed"] is False


def test_times_are_sent_as_rfc3339_with_an_offset_and_read_with_one(world, api_as):
    api = api_as(world.alice.user)
    response = api.post("/followups/schedule/templates", {
        "weekday": 0, "start_time": "08:00:00+08:00", "end_time": "01:00:00Z"})
    assert response.status_code == 201, response.content
    assert response.json()["start_time"] == "08:00:00+08:00"
    assert response.json()["end_time"] == "09:00:00+08:00"
    from clinics.followups.models import ScheduleTemplate

    stored = ScheduleTemplate.objects.get(pk=response.json()["id"])
    assert (stored.start_time.isoformat(), stored.end_time.isoformat()) == ("08:00:00",
                                                                            "09:00:00")
    response = api.post("/followups/schedule/templates", {
        "weekday": 1, "start_time": "13:30", "end_time": "17:00"})
    assert response.json()["start_time"] == "13:30:00+08:00"


def test_every_operation_declares_every_status_the_edge_answers(client, db):
    document = client.get("/api/v1/openapi.json").json()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            declared = set(operation["responses"])
            assert {"400", "401", "404", "413", "422"} <= declared, (method, path)


# --- malformed ids ------------------------------------------------------------------------

def test_a_malformed_id_is_422_on_the_api_and_404_on_pages(world, api_as, client):
    response = api_as(world.sam.user).post("/consultations/not-a-uuid/recording-consent",
                                           {"allowed": True})
    assert response.status_code == 422 and response.json()["error"] == "invalid_input"
    client.force_login(world.alice.user)
    response = client.post("/imaging/studies/1.2.3/attach/", {"consultation": "not-a-uuid"})
    assert response.status_code == 404


def test_json_nested_too_deeply_is_a_4xx(world, api_as):
    body = "[" * 100_000 + '"\\u0000"' + "]" * 100_000
    response = api_as(world.alice.user).post("/consultations", body)
    assert response.status_code in {400, 422}
    assert "error" in response.json()



def test_the_same_hours_with_and_without_a_clinic_are_not_a_500(world, api_as):
    """Found by the API fuzz once times with an offset were accepted."""
    api = api_as(world.alice.user)
    hours = {"start_time": "15:20:00+08:00", "end_time": "16:20:00+08:00", "weekday": 2}
    assert api.post("/followups/schedule/templates",
                    {**hours, "clinic_id": world.clinic_a.pk}).status_code == 201
    assert api.post("/followups/schedule/templates", hours).status_code == 201


def test_daphne_refuses_from_the_headers_alone(settings):
    """The check daphne runs when it learns a body's length (no database on its thread)."""
    from cloudhospital.core.daphne_budget import early_refusal

    settings.HTTP_BODY_MAX_BYTES = 1000
    assert early_refusal("POST", "/api/v1/x", 1001, False, "application/json",
                         "Bearer chk_x", None)[0] == 413
    assert early_refusal("POST", "/api/v1/x", 10, False, "application/json", None, None)[0] \
        == 401
    assert early_refusal("POST", "/api/v1/x", 10, False, "application/json", None,
                         "sessionid=abc") is None
    assert early_refusal("POST", "/api/v1/x", 10, False, None, "Bearer chk_x", None) is None
    assert early_refusal("POST", "/api/v1/x", None, True, None, None, None)[0] == 401
    assert early_refusal("GET", "/api/v1/x", 0, False, None, None, None) is None
    assert early_refusal("POST", "/accounts/login/", 10, False, None, None, None) is None
    settings.HTTP_UPLOAD_MAX_BYTES = 10**9
    assert early_refusal("POST", "/imaging/upload/", 10**6, False,
                         "multipart/form-data; boundary=x", None, "sessionid=a") is None


def test_an_integer_beyond_bigint_in_a_json_body_is_422(world, api_as):
    response = api_as(world.alice.user).post("/consultations", {
        "patient_id": 99999999999999999999999, "reason": "x"})
    assert response.status_code == 422
    # a long run of digits inside a string is text, not a number
    response = api_as(world.alice.user).get("/patients?q=99999999999999999999999")
    assert response.status_code != 500
