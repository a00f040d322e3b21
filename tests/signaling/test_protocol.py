"""The signaling protocol over a real consumer: welcome, presence, relaying, ping."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from cloudhospital.security.models import AuditEntry
from signaling.models import Attendance

pytestmark = pytest.mark.django_db(transaction=True)

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


@database_sync_to_async
def status_of(consultation) -> str:
    consultation.refresh_from_db()
    return consultation.status


@database_sync_to_async
def attendances(consultation) -> list[Attendance]:
    return list(Attendance.objects.filter(room_key=f"consultation:{consultation.pk}"))


@database_sync_to_async
def audit_actions(consultation) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(consultation.pk))
                .order_by("id").values_list("action", flat=True))


async def test_the_first_participant_is_welcomed_alone_with_its_peer_id(
        world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    alice, welcome = await sockets.join(world.alice.user, consultation)
    assert set(welcome) == {"type", "peer_id", "room", "peers", "ice_servers"}
    assert welcome["peers"] == [] and welcome["ice_servers"] == []
    assert welcome["room"] == f"consultation:{consultation.pk}"
    assert await alice.silent()
    await alice.close()


async def test_the_second_party_sees_the_first_and_the_first_hears_it_joined(
        world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    alice, first = await sockets.join(world.alice.user, consultation)
    sam, second = await sockets.join(world.sam.user, consultation)
    assert second["peers"] == [{"peer_id": first["peer_id"], "role": "clinic_doctor",
                                "name": "Alice", "offer": True}]
    assert await alice.recv() == {"type": "peer-joined", "peer_id": second["peer_id"],
                                  "role": "specialist", "name": "Sam", "offer": False}
    assert await alice.silent() and await sam.silent()
    await alice.close()
    await sam.close()


async def test_offers_answers_and_ice_reach_only_the_addressee_with_from_set_by_server(
        world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    alice, a = await sockets.join(world.alice.user, consultation)
    sam, s = await sockets.join(world.sam.user, consultation)
    pat, p = await sockets.join(world.pat.user, consultation)
    assert [(await alice.recv())["peer_id"] for _ in range(2)] == [s["peer_id"], p["peer_id"]]
    assert (await sam.recv())["peer_id"] == p["peer_id"]

    await sam.send({"type": "offer", "to": a["peer_id"], "sdp": SDP, "from": p["peer_id"]})
    assert await alice.recv() == {"type": "offer", "from": s["peer_id"], "sdp": SDP}
    await alice.send({"type": "answer", "to": s["peer_id"], "sdp": SDP})
    assert await sam.recv() == {"type": "answer", "from": a["peer_id"], "sdp": SDP}
    candidate = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
                 "sdpMid": "0", "sdpMLineIndex": 0, "extra": "dropped"}
    await alice.send({"type": "ice", "to": s["peer_id"], "candidate": candidate})
    relayed = await sam.recv()
    assert relayed == {"type": "ice", "from": a["peer_id"], "candidate": {
        k: v for k, v in candidate.items() if k != "extra"}}
    await alice.send({"type": "ice", "to": s["peer_id"], "candidate": None})
    assert await sam.recv() == {"type": "ice", "from": a["peer_id"], "candidate": None}
    assert await pat.silent()
    for peer in (alice, sam, pat):
        await peer.close()


async def test_ping_is_answered_with_pong(world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("in_progress")
    sam, _ = await sockets.join(world.sam.user, consultation)
    await sam.send({"type": "ping"})
    assert await sam.recv() == {"type": "pong"}
    await sam.close()


async def test_a_leaving_peer_is_announced_and_its_stay_recorded_and_audited(
        world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    alice, a = await sockets.join(world.alice.user, consultation)
    sam, s = await sockets.join(world.sam.user, consultation)
    await alice.recv()
    await sam.close()
    assert await alice.recv() == {"type": "peer-left", "peer_id": s["peer_id"]}
    await alice.send({"type": "offer", "to": s["peer_id"], "sdp": SDP})
    assert (await alice.recv())["code"] == "unknown_peer"
    await alice.close()
    stays = {row.peer_id: row for row in await attendances(consultation)}
    assert set(stays) == {a["peer_id"], s["peer_id"]}
    assert all(row.left_at is not None and row.left_at >= row.joined_at
               for row in stays.values())
    actions = await audit_actions(consultation)
    assert actions.count("room.join") == 2 and actions.count("room.leave") == 2


async def test_the_consultation_starts_when_the_second_party_joins(
        world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    alice, _ = await sockets.join(world.alice.user, consultation)
    assert await status_of(consultation) == "scheduled"
    pat, _ = await sockets.join(world.pat.user, consultation)
    assert await status_of(consultation) == "scheduled", "both are the clinic side"
    sam, _ = await sockets.join(world.sam.user, consultation)
    assert await status_of(consultation) == "in_progress"
    assert "consultation.start" in await audit_actions(consultation)
    for peer in (alice, pat, sam):
        await peer.close()


async def test_a_patient_completing_the_pair_starts_it_in_the_doctors_name(
        world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    sam, _ = await sockets.join(world.sam.user, consultation)
    pat, _ = await sockets.join(world.pat.user, consultation)
    assert await status_of(consultation) == "in_progress"
    await sam.close()
    await pat.close()


async def test_a_rejoining_peer_gets_a_new_id_and_others_see_left_then_joined(
        world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("in_progress")
    alice, a = await sockets.join(world.alice.user, consultation)
    sam, s1 = await sockets.join(world.sam.user, consultation)
    await alice.recv()
    await sam.close()
    sam2, s2 = await sockets.join(world.sam.user, consultation)
    assert s2["peer_id"] != s1["peer_id"]
    assert [p["peer_id"] for p in s2["peers"]] == [a["peer_id"]]
    assert (await alice.recv())["type"] == "peer-left"
    assert (await alice.recv())["peer_id"] == s2["peer_id"]
    await alice.close()
    await sam2.close()


async def test_a_crashing_handler_still_ends_the_stay(world, consultation_at, sockets,
                                                      monkeypatch):
    from signaling.consumers import SignalingConsumer

    async def broken(self, event):
        raise RuntimeError("the channel layer failed")

    monkeypatch.setattr(SignalingConsumer, "room_joined", broken)
    consultation = await database_sync_to_async(consultation_at)("in_progress")
    alice, _ = await sockets.join(world.alice.user, consultation)
    sam, _ = await sockets.join(world.sam.user, consultation)  # both handle room.joined
    for peer in (alice, sam):
        with pytest.raises(RuntimeError):
            await peer.comm.receive_output(3)
        peer.closed = True
    stays = await attendances(consultation)
    assert len(stays) == 2 and all(row.left_at is not None for row in stays)
