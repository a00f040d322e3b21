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
