"""The room page: for participants only, configured through json_script, script served."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client


def page(user, consultation_id):
    client = Client()
    client.force_login(user)
    return client.get(f"/consultations/{consultation_id}/room/")


def json_script(html: str, element_id: str) -> dict:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>',
                      html, re.S)
    return json.loads(found.group(1))


@pytest.mark.django_db
def test_a_participant_gets_the_room_page_with_its_config_and_strings(world, consultation_at):
    consultation = consultation_at("scheduled")
    answer = page(world.sam.user, consultation.pk)
    assert answer.status_code == 200
    html = answer.content.decode()
    config = json_script(html, "room-config")
    assert config == {"kind": "consultation", "object_id": str(consultation.pk),
                      "room": f"consultation:{consultation.pk}", "open": True, "name": "Sam",
                      "role": "specialist",
                      "ticket_url": f"/api/v1/consultations/{consultation.pk}/signaling-ticket",
                      "workspace_url": f"/consultations/{consultation.pk}/workspace/"}
    strings = json_script(html, "room-strings")
    assert {"camera_refused", "alone", "reconnecting", "share", "mute"} <= set(strings)
    assert 'id="local-video"' in html and "csrfmiddlewaretoken" in html
    # A readable title, not the room key; the consultation's workspace panel and scripts.
    title = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert "Pat 男" in title and "consultation:" not in title
    assert "Centre A → Test Tertiary" in html
    assert 'id="workspace"' in html and "/static/consultations/workspace.js" in html
    script = re.search(r'<script src="(/signaling/room\.js\?v=\w+)"', html).group(1)
    served = Client().get(script)
    assert served.status_code == 200 and served["Content-Type"].startswith("text/javascript")
    assert b"RTCPeerConnection" in served.content


@pytest.mark.django_db
def test_the_workspace_panel_is_for_the_rooms_participants_only(world, consultation_at):
    consultation = consultation_at("scheduled")
    url = f"/consultations/{consultation.pk}/workspace/"
    for user, status in ((world.sam.user, 200), (world.alice.user, 200),
                         (world.tom.user, 404), (world.oscar.user, 404)):
        client = Client()
        client.force_login(user)
        answer = client.get(url)
        assert answer.status_code == status, (user, answer.status_code)
    client = Client()
    client.force_login(world.sam.user)
    html = client.get(url).content.decode()
    assert "BP uncontrolled" in html and 'id="ws-follow"' in html
    assert "<script" not in html.replace('<script id="viewer-data"', "")
    assert Client().get(url).status_code == 302  # to the login page


@pytest.mark.django_db
def test_strings_are_translated_for_the_users_language(world, consultation_at):
    consultation = consultation_at("scheduled")
    client = Client()
    client.force_login(world.sam.user)
    client.cookies["django_language"] = "en"  # what the language switch sets
    english = client.get(f"/consultations/{consultation.pk}/room/").content.decode()
    assert json_script(english, "room-strings")["leave"] == "Leave"
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(f"/consultations/{consultation.pk}/room/").content.decode()
    assert json_script(chinese, "room-strings")["leave"] == "离开"


@pytest.mark.django_db
def test_the_room_page_is_refused_to_outsiders_and_unknown_rooms(world, consultation_at):
    consultation = consultation_at("scheduled")
    assert page(world.oscar.user, consultation.pk).status_code == 404  # as an unknown id
    assert page(world.tom.user, consultation.pk).status_code == 404
    assert page(world.alice.user, uuid.uuid4()).status_code == 404
    anonymous = Client().get(f"/consultations/{consultation.pk}/room/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@pytest.mark.django_db
def test_the_consultation_page_links_to_the_live_room_when_it_is_joinable(
        world, consultation_at):
    consultation = consultation_at("scheduled")
    client = Client()
    client.force_login(world.alice.user)
    html = client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert f'href="/consultations/{consultation.pk}/room/"' in html
    draft = consultation_at("draft")
    html = client.get(f"/consultations/{draft.pk}/").content.decode()
    assert "/room/" not in html
