"""The ticket endpoint (session and bearer), the visit kind contract, and ICE servers."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from cloudhospital.core.errors import NotAllowed, NotFound
from cloudhospital.security.tokens import create_api_token, redeem_ticket
from signaling import rooms
from signaling.ice import ice_servers, turn_credential
from tests.signaling.conftest import path_of


def post_ticket(client, consultation_id, kind="consultations", **headers):
    return client.post(f"/api/v1/{kind}/{consultation_id}/signaling-ticket", **headers)


@pytest.mark.django_db
def test_a_participant_gets_a_single_use_ticket_with_a_session(world, consultation_at):
    consultation = consultation_at("scheduled")
    client = Client()
    client.force_login(world.sam.user)
    answer = post_ticket(client, consultation.pk)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["expires_in"] == 60 and body["room"] == f"consultation:{consultation.pk}"
    assert body["ws_path"] == f"/ws/consultations/{consultation.pk}/signal/"
    assert redeem_ticket(body["ticket"], body["room"]) == world.sam.user
    assert redeem_ticket(body["ticket"], body["room"]) is None


@pytest.mark.django_db
def test_a_room_device_gets_a_ticket_with_a_bearer_token(world, consultation_at):
    consultation = consultation_at("in_progress")
    _, raw = create_api_token(world.alice.user, "room device")
    answer = post_ticket(Client(), consultation.pk, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 200
    assert redeem_ticket(answer.json()["ticket"], f"consultation:{consultation.pk}") \
        == world.alice.user


@pytest.mark.django_db
def test_tickets_are_refused_to_strangers_outsiders_and_closed_rooms(world, consultation_at):
    consultation = consultation_at("scheduled")
    assert post_ticket(Client(), consultation.pk).status_code == 401
    client = Client()
    client.force_login(world.oscar.user)
    assert post_ticket(client, consultation.pk).json()["error"] == "not_found"  # as unknown
    assert post_ticket(client, "0d8f2a46-6a35-4cf0-9a52-2b1e1d0e4c11").status_code == 404
    client.force_login(world.alice.user)
    draft = consultation_at("draft")
    answer = post_ticket(client, draft.pk)
    assert answer.status_code == 409 and answer.json()["error"] == "conflict"


def visit_resolver(user, object_id):
    """A stand-in owner for the "visit" kind, as clinics.followups will register one."""
    if object_id != "42":
        raise NotFound("no such visit")
    if user.username not in {"alice", "pat"}:
        raise NotAllowed("not your visit")
    return rooms.RoomDescriptor(key="visit:42", role=user.username, name=user.username.title(),
                                open=True)


@pytest.fixture
def visit_kind():
    previous = rooms.unregister_room_kind("visit")
    rooms.register_room_kind("visit", visit_resolver)
    yield
    rooms.unregister_room_kind("visit")
    if previous is not None:
        rooms.register_room_kind("visit", previous)


@pytest.mark.django_db(transaction=True)
async def test_a_registered_visit_kind_uses_the_same_api_and_socket(
        world, visit_kind, sockets):
    client = Client()
    await database_sync_to_async(client.force_login)(world.pat.user)
    answer = await database_sync_to_async(post_ticket)(client, 42, kind="visits")
    assert answer.status_code == 200 and answer.json()["room"] == "visit:42"
    visit = type("Visit", (), {"pk": 42})
    pat = sockets.path(path_of(visit, answer.json()["ticket"], "visits"))
    assert (await pat.open())["room"] == "visit:42"
    alice, welcome = await sockets.join(world.alice.user, visit, kind="visit")
    assert welcome["peers"][0]["role"] == "pat"
    assert (await pat.recv())["role"] == "alice"
    await database_sync_to_async(client.force_login)(world.sam.user)
    assert (await database_sync_to_async(post_ticket)(client, 42, kind="visits")
            ).status_code == 403
    await alice.close()
    await pat.close()


def test_an_unregistered_kind_is_not_found():
    with pytest.raises(NotFound):
        rooms.resolve("nothing", None, "1")


def test_room_kinds_must_be_identifiers():
    with pytest.raises(ValueError):
        rooms.register_room_kind("bad kind", visit_resolver)


def test_turn_credentials_follow_the_turn_rest_api_convention():
    username, password = turn_credential("u7", secret="s3cret", lifetime=3600, now=1_000_000)
    assert username == "1003600:u7"
    expected = hmac.new(b"s3cret", b"1003600:u7", hashlib.sha1).digest()
    assert base64.b64decode(password) == expected


def test_no_ice_servers_by_default_and_stun_turn_from_settings(settings):
    assert ice_servers("u1") == []
    settings.STUN_URLS = ["stun:stun.example.org:3478"]
    settings.TURN_URLS = ["turn:turn.example.org:3478?transport=udp"]
    settings.TURN_SECRET = "shared"
    settings.TURN_CREDENTIAL_SECONDS = 600
    stun, turn = ice_servers("u1")
    assert stun == {"urls": ["stun:stun.example.org:3478"]}
    assert turn["urls"] == ["turn:turn.example.org:3478?transport=udp"]
    expiry, _, label = turn["username"].partition(":")
    assert label == "u1" and int(expiry) > 0
    assert base64.b64decode(turn["credential"]) == hmac.new(
        b"shared", turn["username"].encode(), hashlib.sha1).digest()


@pytest.mark.django_db
def test_each_doctor_gives_their_own_recording_consent_and_outsiders_cannot(
        world, consultation_at):
    from clinics.consultations.models import Consent

    consultation = consultation_at("scheduled")
    Consent.objects.filter(consultation=consultation).update(recording_allowed=True)
    client = Client()
    url = f"/api/v1/consultations/{consultation.pk}/recording-consent"
    client.force_login(world.alice.user)
    answer = client.post(url, {"allowed": True}, content_type="application/json")
    assert answer.json() == {"allowed": True, "recording_permitted": False}
    client.force_login(world.sam.user)
    answer = client.post(url, {"allowed": True}, content_type="application/json")
    assert answer.json() == {"allowed": True, "recording_permitted": True}
    answer = client.post(url, {"allowed": False}, content_type="application/json")
    assert answer.json() == {"allowed": False, "recording_permitted": False}
    client.force_login(world.carol.user)
    assert client.post(url, {"allowed": True},
                       content_type="application/json").status_code == 403
    client.force_login(world.oscar.user)
    assert client.post(url, {"allowed": True},
                       content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_recording_needs_the_patients_consent_too(world, consultation_at):
    from clinics.consultations.consent import recording_permitted, set_recording_consent

    consultation = consultation_at("scheduled")
    set_recording_consent(world.alice.user, consultation, allowed=True)
    set_recording_consent(world.sam.user, consultation, allowed=True)
    assert not recording_permitted(consultation), "the patient did not allow recording"
    consultation.consent.recording_allowed = True
    consultation.consent.save()
    assert recording_permitted(consultation)


@pytest.mark.django_db
def test_a_recorder_is_enqueued_at_most_once_a_minute_per_room():
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    from signaling import tasks

    cache.delete("signaling:recorder-launch:consultation:c1")
    assert tasks.launch_recorder("consultation:c1", "http://127.0.0.1:8000")
    assert not tasks.launch_recorder("consultation:c1", "http://127.0.0.1:8000")
    queued = DBTaskResult.objects.get(task_path="signaling.tasks.record_room")
    assert queued.queue_name == "recordings"
    assert queued.args_kwargs == {"args": ["consultation:c1", "http://127.0.0.1:8000"],
                                  "kwargs": {}}
    cache.delete("signaling:recorder-launch:consultation:c1")
