"""Presence is a lease: a peer whose process died without a goodbye is no ghost.

A killed daphne leaves its attendance rows open and never renews their leases. Here such
a stay is written exactly as a consumer writes it (``rooms.join`` with a channel nobody
reads) and time is driven explicitly: the stay joins "long ago" (``now`` in the past)
or its lease end is moved into the past, and the live consumers' sweep is driven with a
``presence.tick`` layer message instead of waiting for the renew interval.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from clinics.consultations.rooms import resolve_consultation
from cloudhospital.security.models import AuditEntry
from signaling import rooms
from signaling.consumers import CLOSE_LEASE_LOST, group_name
from signaling.models import Attendance
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db(transaction=True)

LONG_AGO = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _no_background_renewal(settings):
    """Only the ticks a test sends happen (the default 10 s could fire on a slow run)."""
    settings.SIGNALING_LEASE_RENEW_SECONDS = 3600


@database_sync_to_async
def ghost_joins(user, consultation, long_ago: bool = False) -> str:
    """A stay written by a process that then died (kill -9): nobody reads its channel."""
    room = resolve_consultation(user, str(consultation.pk))
    now = timezone.now() - LONG_AGO if long_ago else None
    me, _ = rooms.join(user, room, "specific.dead!ghost" + user.username, now=now)
    return me.peer_id


async def announce_joined(consultation, peer_id: str) -> None:
    """What the dead process's consumer sent right after its join, before it died."""
    row = await database_sync_to_async(Attendance.objects.get)(peer_id=peer_id)
    await get_channel_layer().group_send(group_name(f"consultation:{consultation.pk}"), {
        "type": "room.joined", "peer_id": row.peer_id, "channel": row.channel_name,
        "role": row.role, "name": row.display_name, "seq": row.pk})


@database_sync_to_async
def let_lease_run_out(peer_id: str) -> None:
    """The state a stay reaches when nobody renewed it for a whole lease."""
    Attendance.objects.filter(peer_id=peer_id).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1))


@database_sync_to_async
def mark_lease(peer_id: str):
    """Move a live lease's end to a recognisable earlier (still future) value."""
    marked = timezone.now() + rooms.lease() / 2
    Attendance.objects.filter(peer_id=peer_id).update(lease_until=marked)
    return marked


async def tick(peer_id: str) -> None:
    """Drive one renewal + sweep of the live consumer of ``peer_id``."""
    row = await database_sync_to_async(Attendance.objects.get)(peer_id=peer_id)
    await get_channel_layer().send(row.channel_name, {"type": "presence.tick"})


@database_sync_to_async
def stay(peer_id: str) -> Attendance:
    return Attendance.objects.get(peer_id=peer_id)


@database_sync_to_async
def leaves_of(peer_id: str) -> list[dict]:
    return [entry.detail for entry in AuditEntry.objects.filter(action="room.leave")
            if entry.detail.get("peer_id") == peer_id]


@database_sync_to_async
def status_of(consultation) -> str:
    consultation.refresh_from_db()
    return consultation.status


async def test_a_stay_whose_lease_ran_out_is_not_welcomed_and_is_closed_as_expired(
        world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("in_progress")
    ghost = await ghost_joins(world.sam.user, consultation, long_ago=True)
    alice, welcome = await sockets.join(world.alice.user, consultation)
    assert welcome["peers"] == []
    row = await stay(ghost)
    assert row.left_at is not None and row.left_at == row.lease_until
    assert [d.get("reason") for d in await leaves_of(ghost)] == ["lease_expired"]
    assert await alice.silent()
    await alice.close()


async def test_a_consultation_does_not_start_with_a_stale_peer(world, consultation_at,
                                                              sockets):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    await ghost_joins(world.sam.user, consultation, long_ago=True)
    alice, welcome = await sockets.join(world.alice.user, consultation)
    assert welcome["peers"] == []
    assert await status_of(consultation) == "scheduled"
    sam, _ = await sockets.join(world.sam.user, consultation)
    assert await status_of(consultation) == "in_progress", "a live pair does start it"
    await alice.close()
    await sam.close()


async def test_the_others_hear_a_dead_peer_left_when_its_lease_runs_out(
        world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("in_progress")
    alice, a = await sockets.join(world.alice.user, consultation)
    ghost = await ghost_joins(world.sam.user, consultation)
    await announce_joined(consultation, ghost)
    assert (await alice.recv())["peer_id"] == ghost
    await tick(a["peer_id"])  # the lease still runs: nothing happens
    assert await alice.silent()
    assert (await stay(ghost)).left_at is None

    await let_lease_run_out(ghost)
    marked = await mark_lease(a["peer_id"])
    await tick(a["peer_id"])
    assert await alice.recv() == {"type": "peer-left", "peer_id": ghost}
    assert (await stay(ghost)).left_at is not None
    assert [d.get("reason") for d in await leaves_of(ghost)] == ["lease_expired"]
    mine = await stay(a["peer_id"])
    assert mine.left_at is None and mine.lease_until > marked, "it renewed its own lease"
    await alice.close()


async def test_a_joiner_tells_the_others_about_the_stale_peers_it_swept(
        world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("in_progress")
    alice, a = await sockets.join(world.alice.user, consultation)
    ghost = await ghost_joins(world.sam.user, consultation)
    await announce_joined(consultation, ghost)
    assert (await alice.recv())["peer_id"] == ghost
    await let_lease_run_out(ghost)
    pat, p = await sockets.join(world.pat.user, consultation)
    assert [peer["peer_id"] for peer in p["peers"]] == [a["peer_id"]]
    assert await alice.recv() == {"type": "peer-left", "peer_id": ghost}
    assert (await alice.recv())["peer_id"] == p["peer_id"]
    await alice.close()
    await pat.close()


async def test_a_socket_that_lost_its_lease_is_closed_and_the_others_hear_it_left(
        world, consultation_at, sockets):
    """A process that stalled longer than the lease must not go on as if present."""
    consultation = await database_sync_to_async(consultation_at)("in_progress")
    alice, a = await sockets.join(world.alice.user, consultation)
    sam, s = await sockets.join(world.sam.user, consultation)
    await alice.recv()
    await let_lease_run_out(s["peer_id"])
    await tick(s["peer_id"])
    assert await sam.closed_with() == CLOSE_LEASE_LOST
    await sam.close()
    assert await alice.recv() == {"type": "peer-left", "peer_id": s["peer_id"]}
    assert await alice.silent()
    assert [d.get("reason") for d in await leaves_of(s["peer_id"])] == ["lease_expired"]
    await alice.close()


def test_only_live_leases_are_present_and_an_expired_one_cannot_be_renewed(
        world, consultation_at):
    consultation = consultation_at("in_progress")
    room = resolve_consultation(world.sam.user, str(consultation.pk))
    now = timezone.now()
    me, _ = rooms.join(world.sam.user, room, "specific.x!a", now=now)
    lease = rooms.lease()
    assert [a.peer_id for a in rooms.present_in(room.key, now + lease / 2)] == [me.peer_id]
    assert rooms.present_in(room.key, now + lease) == []
    assert rooms.sweep(room, now + lease / 2) == []
    assert rooms.renew(me.peer_id, now + lease / 2)
    assert rooms.present_in(room.key, now + lease) != [], "renewed from its half-time"
    later = now + lease * 3
    assert not rooms.renew(me.peer_id, later)
    assert rooms.sweep(room, later) == [me.peer_id]
    assert rooms.sweep(room, later) == [], "closed once"
    assert not rooms.leave(me.peer_id, room), "a late goodbye does not close it again"


def test_rows_from_before_leases_count_as_expired(world, consultation_at):
    consultation = consultation_at("in_progress")
    room = resolve_consultation(world.sam.user, str(consultation.pk))
    old = Attendance.objects.create(room_key=room.key, user=world.sam.user, peer_id="old",
                                    channel_name="specific.x!old", role="specialist",
                                    display_name="Sam")
    assert rooms.present_in(room.key) == []
    assert rooms.sweep(room) == ["old"]
    old.refresh_from_db()
    assert old.left_at is not None


async def test_a_client_cannot_drive_the_sweep(world, consultation_at, sockets):
    consultation = await database_sync_to_async(consultation_at)("in_progress")
    sam, _ = await sockets.join(world.sam.user, consultation)
    await sam.send({"type": "presence.tick"})
    assert (await sam.recv())["code"] == "unknown_type"
    await sam.close()


@pytest.mark.parametrize("renew", ["30", "0", "-1"])
def test_a_renew_interval_not_within_the_lease_is_refused_at_start(renew):
    env = {**os.environ, "SIGNALING_LEASE_SECONDS": "30", "SIGNALING_LEASE_RENEW_SECONDS": renew,
           "DJANGO_SETTINGS_MODULE": "cloudhospital.settings"}
    started = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert started.returncode != 0
    assert "SIGNALING_LEASE_RENEW_SECONDS" in started.stderr
