"""The O(1) in-memory channel layer behaves like Channels' own, expiry included."""

from __future__ import annotations

import asyncio

import pytest
from channels.exceptions import ChannelFull

from cloudhospital.core.layer import FastInMemoryChannelLayer


@pytest.fixture
def layer():
    return FastInMemoryChannelLayer(expiry=60, capacity=3)


async def test_a_message_reaches_its_channel_in_order(layer):
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "a", "n": 1})
    await layer.send(channel, {"type": "a", "n": 2})
    assert (await layer.receive(channel))["n"] == 1
    assert (await layer.receive(channel))["n"] == 2
    assert layer.channels == {}, "an emptied channel leaves nothing behind"


async def test_a_sent_message_is_a_copy(layer):
    message = {"type": "a", "frame": {"sdp": "x"}}
    await layer.send("peer.x", message)
    message["frame"]["sdp"] = "changed"
    assert (await layer.receive("peer.x"))["frame"] == {"sdp": "x"}


async def test_a_receiver_waits_for_the_next_message(layer):
    waiting = asyncio.create_task(layer.receive("peer.w"))
    await asyncio.sleep(0)
    await layer.send("peer.w", {"type": "late"})
    assert (await asyncio.wait_for(waiting, 1))["type"] == "late"


async def test_a_full_channel_refuses_more(layer):
    for n in range(3):
        await layer.send("peer.full", {"type": "a", "n": n})
    with pytest.raises(ChannelFull):
        await layer.send("peer.full", {"type": "a"})


async def test_group_send_reaches_members_only_and_discard_removes(layer):
    await layer.group_add("room.one", "peer.a")
    await layer.group_add("room.one", "peer.b")
    await layer.group_add("room.two", "peer.c")
    await layer.group_send("room.one", {"type": "joined"})
    assert (await layer.receive("peer.a"))["type"] == "joined"
    assert (await layer.receive("peer.b"))["type"] == "joined"
    assert "peer.c" not in layer.channels
    await layer.group_discard("room.one", "peer.a")
    await layer.group_discard("room.one", "peer.b")
    assert "room.one" not in layer.groups and layer.memberships == {"peer.c": {"room.two"}}
    await layer.group_send("room.one", {"type": "nobody"})
    assert layer.channels == {}


async def test_a_full_member_does_not_stop_the_group(layer):
    for n in range(3):
        await layer.send("peer.slow", {"type": "a", "n": n})
    await layer.group_add("room", "peer.slow")
    await layer.group_add("room", "peer.ok")
    await layer.group_send("room", {"type": "joined"})
    assert (await layer.receive("peer.ok"))["type"] == "joined"


async def test_an_expired_message_is_dropped_and_its_channel_leaves_its_groups(monkeypatch):
    layer = FastInMemoryChannelLayer(expiry=10, capacity=10)
    now = [1000.0]
    monkeypatch.setattr("cloudhospital.core.layer.time.time", lambda: now[0])
    await layer.group_add("room", "peer.dead")
    await layer.send("peer.dead", {"type": "old"})
    now[0] += 11
    await layer.send("peer.dead", {"type": "new"})
    assert "room" not in layer.groups, "a reader that let a message expire is gone"
    assert (await layer.receive("peer.dead"))["type"] == "new"


async def test_an_old_group_membership_expires_when_the_group_is_used(monkeypatch):
    layer = FastInMemoryChannelLayer(expiry=10, group_expiry=100, capacity=10)
    now = [1000.0]
    monkeypatch.setattr("cloudhospital.core.layer.time.time", lambda: now[0])
    await layer.group_add("room", "peer.old")
    now[0] += 101
    await layer.group_add("room", "peer.new")
    await layer.group_send("room", {"type": "x"})
    assert list(layer.groups["room"]) == ["peer.new"]
    assert "peer.old" not in layer.channels


async def test_the_idle_sweep_drops_expired_unread_channels(monkeypatch):
    layer = FastInMemoryChannelLayer(expiry=10, capacity=10)
    wall, mono = [1000.0], [50.0]
    monkeypatch.setattr("cloudhospital.core.layer.time.time", lambda: wall[0])
    monkeypatch.setattr("cloudhospital.core.layer.time.monotonic", lambda: mono[0])
    layer._next_sweep = mono[0] + 10
    for n in range(50):
        await layer.send(f"peer.{n}", {"type": "never read"})
    wall[0] += 11
    mono[0] += 11
    await layer.send("peer.live", {"type": "x"})
    assert list(layer.channels) == ["peer.live"]


async def test_flush_forgets_everything(layer):
    await layer.group_add("room", "peer.a")
    await layer.send("peer.a", {"type": "x"})
    await layer.flush()
    assert layer.channels == {} and layer.groups == {} and layer.memberships == {}
