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


def test_a_30_mb_body_to_the_live_api_is_413_not_500(platform_server):
    """Refused from the Content-Length alone: the body is never sent in full."""
    import http.client

    token = platform_server.token("clinic_doctor")
    host, port = platform_server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=20)
    conn.putrequest("POST", "/api/v1/consultations")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(30 * 1024 * 1024))
    conn.endheaders()
    conn.send(b'{"reason": "' + b"x" * 65536)
    response = conn.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"] == "body_too_large"
    conn.close()
