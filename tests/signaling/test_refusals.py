"""Every way in that is refused, and bad input that must not take the room down."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from cloudhospital.security.models import Ticket
from signaling.consumers import SignalingConsumer
from tests.signaling.conftest import path_of, ticket

pytestmark = pytest.mark.django_db(transaction=True)


async def refused_with(sockets, path: str) -> int:
    peer = sockets.path(path)
    assert await peer.open() is None, "the server should have closed the socket"
    await peer.close()
    return peer.close_code


async def test_a_socket_without_a_ticket_is_closed_4401(world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    assert await refused_with(sockets, f"/ws/consultations/{consultation.pk}/signal/") == 4401
    assert await refused_with(sockets, path_of(consultation, "forged")) == 4401


async def test_a_used_ticket_is_closed_4401(world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    raw = await ticket(world.alice.user, f"consultation:{consultation.pk}")
    first = sockets.path(path_of(consultation, raw))
    assert (await first.open())["type"] == "welcome"
    assert await refused_with(sockets, path_of(consultation, raw)) == 4401
    await first.close()


async def test_an_expired_ticket_is_closed_4401(world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    raw = await ticket(world.alice.user, f"consultation:{consultation.pk}")
    await database_sync_to_async(Ticket.objects.update)(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert await refused_with(sockets, path_of(consultation, raw)) == 4401


async def test_a_ticket_for_another_room_is_closed_4401(world, consultation_at, sockets):
    one = await database_sync_to_async(consultation_at)("scheduled")
    other = await database_sync_to_async(consultation_at)("scheduled")
    raw = await ticket(world.alice.user, f"consultation:{one.pk}")
    assert await refused_with(sockets, path_of(other, raw)) == 4401


@pytest.mark.parametrize(("who", "code"), [
    ("oscar", 4404), ("tom", 4404), ("dora", 4403), ("carol_elsewhere", 4404),
    ("quinn", 4404)])
async def test_someone_who_is_not_a_participant_is_closed_4404_or_4403_if_they_see_it(
        world, consultation_at, sockets, who, code):
    """Who may not see the consultation is told it does not exist (4404); dora sees her
    centre's consultation but has no verified licence to join (4403)."""
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    if who == "carol_elsewhere":
        world.carol.institution = world.centre_b
        await database_sync_to_async(world.carol.save)()
        user = world.carol.user
    else:
        user = getattr(world, who).user
    raw = await ticket(user, f"consultation:{consultation.pk}")
    assert await refused_with(sockets, path_of(consultation, raw)) == code


@pytest.mark.parametrize("status", ["draft", "requested", "accepted", "completed"])
async def test_a_consultation_not_scheduled_or_in_progress_is_closed_4403(
        world, consultation_at, sockets, status):
    consultation = await database_sync_to_async(consultation_at)(status)
    raw = await ticket(world.sam.user if status != "draft" else world.alice.user,
                       f"consultation:{consultation.pk}")
    assert await refused_with(sockets, path_of(consultation, raw)) == 4403


async def test_a_consultation_that_does_not_exist_is_closed_4404(world, sockets):
    missing = uuid.uuid4()
    raw = await ticket(world.alice.user, f"consultation:{missing}")
    assert await refused_with(sockets, f"/ws/consultations/{missing}/signal/?ticket={raw}") \
        == 4404
    raw = await ticket(world.alice.user, "consultation:not-a-uuid")
    assert await refused_with(sockets, f"/ws/consultations/not-a-uuid/signal/?ticket={raw}") \
        == 4404


async def test_an_unknown_room_kind_is_closed_4404(world, sockets):
    raw = await ticket(world.alice.user, "things:1")
    assert await refused_with(sockets, f"/ws/things/1/signal/?ticket={raw}") == 4404


# --- bad input answers an error frame and the room carries on -----------------------------

BAD_FRAMES = [
    ("not json", "bad_json"),
    ("[1, 2]", "bad_json"),
    (json.dumps({"type": "launch"}), "unknown_type"),
    (json.dumps({"sdp": "x"}), "unknown_type"),
    (json.dumps({"type": "offer", "sdp": "v=0"}), "missing_field"),
    (json.dumps({"type": "offer", "to": "PEER"}), "missing_field"),
    (json.dumps({"type": "answer", "to": "PEER", "sdp": 5}), "missing_field"),
    (json.dumps({"type": "ice", "to": "PEER"}), "missing_field"),
    (json.dumps({"type": "ice", "to": "PEER", "candidate": "x"}), "missing_field"),
    (json.dumps({"type": "ice", "to": "PEER", "candidate": {"candidate": "c",
                                                            "sdpMLineIndex": "0"}}),
     "missing_field"),
    (json.dumps({"type": "offer", "to": "nobody", "sdp": "v=0"}), "unknown_peer"),
    (json.dumps({"type": "offer", "to": "x" * 33, "sdp": "v=0"}), "missing_field"),
    (json.dumps({"type": "ping", "pad": "x" * 70_000}), "too_large"),
]


async def test_each_bad_frame_gets_an_error_and_the_socket_and_room_carry_on(
        world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("in_progress")
    alice, a = await sockets.join(world.alice.user, consultation)
    sam, s = await sockets.join(world.sam.user, consultation)
    await alice.recv()
    for frame, code in BAD_FRAMES:
        await sam.send(frame.replace("PEER", a["peer_id"]))
        answer = await sam.recv()
        assert answer["type"] == "error" and answer["code"] == code, (frame[:60], answer)
        assert answer["message"]
    await sam.comm.send_to(bytes_data=b"\x00\x01")
    assert (await sam.recv())["code"] == "bad_frame"
    assert await alice.silent()
    await sam.send({"type": "offer", "to": a["peer_id"], "sdp": "v=0"})
    assert (await alice.recv())["from"] == s["peer_id"]
    await alice.close()
    await sam.close()


async def test_a_flood_is_answered_rate_limited_then_only_that_socket_is_closed(
        world, consultation_at, sockets, monkeypatch):
    monkeypatch.setattr(SignalingConsumer, "burst", 5)
    monkeypatch.setattr(SignalingConsumer, "rate", 0.001)
    monkeypatch.setattr(SignalingConsumer, "max_strikes", 3)
    consultation = await database_sync_to_async(consultation_at)("in_progress")
    alice, a = await sockets.join(world.alice.user, consultation)
    sam, s = await sockets.join(world.sam.user, consultation)
    await alice.recv()
    answers = []
    for _ in range(20):
        await sam.send({"type": "ping"})
    for _ in range(5 + 3):
        answers.append(await sam.recv())
    assert answers[:5] == [{"type": "pong"}] * 5
    assert {a["code"] for a in answers[5:]} == {"rate_limited"}
    assert await sam.closed_with() == 4429
    await sam.close()
    assert await alice.recv() == {"type": "peer-left", "peer_id": s["peer_id"]}
    await alice.send({"type": "ping"})
    assert await alice.recv() == {"type": "pong"}
    await alice.close()


async def test_repeated_bad_frames_close_only_the_sender(world, consultation_at, sockets,
                                                         monkeypatch):
    monkeypatch.setattr(SignalingConsumer, "max_strikes", 4)
    consultation = await database_sync_to_async(consultation_at)("in_progress")
    alice, _ = await sockets.join(world.alice.user, consultation)
    sam, s = await sockets.join(world.sam.user, consultation)
    await alice.recv()
    for _ in range(10):
        await sam.send("garbage")
    codes = [(await sam.recv())["code"] for _ in range(4)]
    assert codes == ["bad_json"] * 4
    assert await sam.closed_with() == 4429
    await sam.close()
    assert await alice.recv() == {"type": "peer-left", "peer_id": s["peer_id"]}
    await alice.close()


# --- the recorder's service account --------------------------------------------------------

@database_sync_to_async
def give_recording_consent(world, consultation, doctors=("alice", "sam")):
    from clinics.consultations.models import Consent, RecordingConsent

    Consent.objects.filter(consultation=consultation).update(recording_allowed=True)
    for name in doctors:
        RecordingConsent.objects.create(consultation=consultation,
                                        staff=getattr(world, name), allowed=True)


@pytest.fixture
def launches(monkeypatch):
    """Recorder launches, recorded instead of enqueued (no worker runs in these tests)."""
    from signaling import tasks

    started = []
    monkeypatch.setattr(tasks, "launch_recorder",
                        lambda room, server: started.append((room, server)))
    return started


@pytest.mark.parametrize("doctors", [(), ("alice",), ("sam",)])
async def test_the_recorder_is_refused_4403_without_everyones_consent(
        world, consultation_at, sockets, launches, doctors):
    from signaling.recorder import recorder_user

    consultation = await database_sync_to_async(consultation_at)("in_progress")
    if doctors:
        await give_recording_consent(world, consultation, doctors)
    alice, _ = await sockets.join(world.alice.user, consultation)
    sam, _ = await sockets.join(world.sam.user, consultation)
    await alice.recv()
    robot = await database_sync_to_async(recorder_user)()
    raw = await ticket(robot, f"consultation:{consultation.pk}")
    assert await refused_with(sockets, path_of(consultation, raw)) == 4403
    assert launches == []
    await alice.close()
    await sam.close()


async def test_with_everyones_consent_the_recorder_is_launched_and_admitted(
        world, consultation_at, sockets, launches):
    from signaling.recorder import recorder_user

    consultation = await database_sync_to_async(consultation_at)("scheduled")
    await give_recording_consent(world, consultation)
    alice, _ = await sockets.join(world.alice.user, consultation)
    assert launches == [], "one side alone is not a consultation yet"
    sam, _ = await sockets.join(world.sam.user, consultation)
    assert launches == [(f"consultation:{consultation.pk}", "http://127.0.0.1:80")]
    robot = await database_sync_to_async(recorder_user)()
    recorder, welcome = await sockets.join(robot, consultation)
    assert {p["role"] for p in welcome["peers"]} == {"clinic_doctor", "specialist"}
    assert all(p["offer"] for p in welcome["peers"]), "the recorder offers, receive-only"
    assert (await alice.recv())["role"] == "specialist"
    assert (await alice.recv())["role"] == "recorder"
    assert len(launches) == 1
    for peer in (alice, sam, recorder):
        await peer.close()
