"""``make run`` in miniature answers on loopback: health, login page, API with a token."""

import json
import urllib.request

import pytest

pytestmark = pytest.mark.live


def test_the_platform_serves_health_pages_and_api(platform_server):
    with urllib.request.urlopen(platform_server.url + "/healthz") as resp:
        health = json.load(resp)
    assert health == {"status": "ok", "database": "ok", "channel_layer": "ok"}
    with urllib.request.urlopen(platform_server.url + "/accounts/login/") as resp:
        assert resp.status == 200
        assert b'name="username"' in resp.read()
    token = platform_server.token("clinic_doctor")
    request = urllib.request.Request(platform_server.url + "/api/v1/consultations",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as resp:
        items = json.load(resp)
    assert {item["status"] for item in items} >= {"scheduled", "completed", "draft"}


def test_the_one_command_platform_serves_its_stylesheet(platform_server):
    with urllib.request.urlopen(platform_server.url + "/static/css/cloudhospital.css") as resp:
        assert resp.status == 200
        assert b"font-family" in resp.read()


def test_the_one_command_platform_shows_no_debug_page_and_serves_page_scripts(platform_server):
    """`make run` has DEBUG off: an unknown page is the Chinese 404, not Django's route list,
    and the page scripts moved out of the HTML (CSP) are still served."""
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(platform_server.url + "/no-such-page/")
    body = caught.value.read().decode()
    assert caught.value.code == 404
    assert "页面不存在" in body and "URLconf" not in body and "urlpatterns" not in body
    for script in ["js/cloudhospital.js", "followups/live.js", "imaging/viewer.js",
                   "imaging/viewer.css", "signaling/room.css"]:
        with urllib.request.urlopen(platform_server.url + "/static/" + script) as resp:
            assert resp.status == 200, script


def _answer_before_the_body(platform_server, headers: dict, sent: bytes):
    """Send the headers and a first piece of a body, then wait for the answer: it must come
    while the rest is still unsent (daphne must not wait to read the whole body)."""
    import http.client

    host, port = platform_server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=20)
    conn.putrequest("POST", "/api/v1/consultations")
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(sent)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, json.loads(body)


def test_a_30_mb_body_to_the_live_api_is_413_before_it_is_read(platform_server):
    token = platform_server.token("clinic_doctor")
    status, body = _answer_before_the_body(platform_server, {
        "Authorization": f"Bearer {token}", "Content-Type": "application/json",
        "Content-Length": str(30 * 1024 * 1024)}, b'{"reason": "' + b"x" * 65536)
    assert (status, body["error"]) == (413, "body_too_large")


def test_a_chunked_body_past_the_budget_is_413_while_it_arrives(platform_server):
    token = platform_server.token("clinic_doctor")
    chunk = b"x" * 65536
    piece = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    status, body = _answer_before_the_body(platform_server, {
        "Authorization": f"Bearer {token}", "Content-Type": "application/json",
        "Transfer-Encoding": "chunked"}, piece * 40)  # 2.5 MiB > 2 MiB, never terminated
    assert (status, body["error"]) == (413, "body_too_large")


def test_an_anonymous_200_mb_api_body_is_401_before_it_is_read(platform_server):
    status, body = _answer_before_the_body(platform_server, {
        "Content-Type": "application/json", "Content-Length": str(200 * 1024 * 1024)},
        b"x" * 65536)
    # Over the budget and anonymous: either refusal, and before the body.
    assert status in {401, 413} and body["error"] in {"unauthorized", "body_too_large"}
    status, body = _answer_before_the_body(platform_server, {
        "Content-Type": "application/json", "Content-Length": str(1024 * 1024)}, b"x" * 65536)
    assert (status, body["error"]) == (401, "unauthorized")
