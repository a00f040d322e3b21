"""Helpers for signaling tests: tickets, sockets that are always closed, a peer pair."""

from __future__ import annotations

import contextlib
import json
import os

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from cloudhospital.security.tokens import issue_ticket
from signaling.routing import websocket_urlpatterns

APP = URLRouter(websocket_urlpatterns)
TIMEOUT = 3

# Recorders that live platforms launch during these tests gather ICE on 127.0.0.1 only
# (all test traffic stays on loopback). Set before any platform fixture starts, since
# they copy os.environ; it changes nothing unless a recording was consented to.
os.environ.setdefault("RECORDER_LOOPBACK_ONLY", "true")


@database_sync_to_async
def ticket(user, room_key: str) -> str:
    return issue_ticket(user, room_key)


def path_of(consultation, raw_ticket: str, kind: str = "consultations") -> str:
    return f"/ws/{kind}/{consultation.pk}/signal/?ticket={raw_ticket}"


class Peer:
    """A WebsocketCommunicator with JSON helpers; ``close()`` is safe to call twice."""

    def __init__(self, path: str):
        self.comm = WebsocketCommunicator(APP, path)
        self.closed = False

    async def open(self) -> dict | None:
        """Connect; returns the first frame (welcome) or None if the server closed."""
        connected, _ = await self.comm.connect(timeout=TIMEOUT)
        assert connected
        out = await self.comm.receive_output(TIMEOUT)
        if out["type"] == "websocket.close":
            self.close_code = out.get("code")
            return None
        return json.loads(out["text"])

    async def send(self, frame) -> None:
        await self.comm.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self) -> dict:
        return json.loads(await self.comm.receive_from(TIMEOUT))

    async def closed_with(self) -> int:
        out = await self.comm.receive_output(TIMEOUT)
        assert out["type"] == "websocket.close", out
        return out.get("code")

    async def silent(self) -> bool:
        return await self.comm.receive_nothing(timeout=0.2)

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.comm.disconnect()


@pytest.fixture
async def sockets():
    """Open sockets with ``await sockets.join(user, consultation)``; teardown closes any
    a failing test left open, so one failure does not leak into the next test."""
    opened: list[Peer] = []

    class Factory:
        def path(self, path: str) -> Peer:
            peer = Peer(path)
            opened.append(peer)
            return peer

        async def join(self, user, consultation, kind="consultation") -> tuple[Peer, dict]:
            raw = await ticket(user, f"{kind}:{consultation.pk}")
            peer = self.path(path_of(consultation, raw, kind + "s"))
            welcome = await peer.open()
            assert welcome is not None and welcome["type"] == "welcome", welcome
            return peer, welcome

    yield Factory()
    for peer in opened:
        with contextlib.suppress(Exception):
            await peer.close()
