"""The signaling socket: admit with a ticket, then relay offers, answers and ICE.

Per message, the consumer does O(1) work: it parses the frame (signaling/messages.py)
and sends it straight to the addressee's channel. Group messages (one fan-out to the
room) are only used for the rare join and leave.

Presence is a lease (docs/signaling.md, "Presence"): every live socket renews its own
every ``SIGNALING_LEASE_RENEW_SECONDS`` and sweeps its room for stays whose lease ran out
(their process died), announcing them as left; a join sweeps before the welcome.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from cloudhospital.core import events
from cloudhospital.core.errors import NotAllowed, NotFound
from cloudhospital.security.clientip import client_ip_from_scope
from cloudhospital.security.tokens import redeem_ticket
from signaling import messages, rooms
from signaling.ice import ice_servers
from signaling.limits import TokenBucket

log = logging.getLogger(__name__)

CLOSE_BAD_TICKET = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_ABUSE = 4429
CLOSE_LEASE_LOST = 4408  # our presence lease ran out (stalled process): rejoin


def group_name(room_key: str) -> str:
    """Channels group names allow only ASCII letters, digits, ``-_.``."""
    return "room." + room_key.replace(":", ".")


class SignalingConsumer(AsyncJsonWebsocketConsumer):
    """One socket = one peer in one room (``/ws/<kind>s/<id>/signal/?ticket=...``)."""

    rate = 50.0            # frames per second, sustained
    burst = 200            # frames at once (call set-up sends ~12, trickle ICE more)
    strike_rate = 0.5      # refused frames forgiven per second
    max_strikes = 20       # refused frames (burst) before the socket is closed

    room: rooms.RoomDescriptor | None = None
    peer_id: str | None = None
    closing = False
    heartbeat: asyncio.Task | None = None

    async def dispatch(self, message):
        """Channels' dispatch, minus its ``aclose_old_connections()`` before every message.

        That call is a ``sync_to_async`` hop to the one thread-sensitive worker thread, so
        every frame of every socket in the process queued behind it (a third of daphne's
        time in profiles of the relay benchmark). Every database touch here goes through
        ``database_sync_to_async``, which closes stale connections itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        # Accept first: a close code (4401/4403/4404) can only be sent on an open socket.
        await self.accept()
        kwargs = self.scope["url_route"]["kwargs"]
        kind, object_id = kwargs["kind"], kwargs["object_id"]
        if kind not in rooms.registered_kinds():
            return await self.close(CLOSE_NOT_FOUND)
        raw = (parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
               .get("ticket") or [""])[0]
        user = await self.redeem(raw, f"{kind}:{object_id}")
        if user is None:
            return await self.close(CLOSE_BAD_TICKET)
        try:
            room = await self.resolve(kind, user, object_id)
        except NotFound:
            return await self.close(CLOSE_NOT_FOUND)
        except NotAllowed:
            return await self.close(CLOSE_NOT_ALLOWED)
        if not room.open:
            return await self.close(CLOSE_NOT_ALLOWED)
        self.user, self.room = user, room
        self.frames = TokenBucket(self.rate, self.burst)
        self.strikes = TokenBucket(self.strike_rate, self.max_strikes)
        self.peers: dict[str, str] = {}
        await self.channel_layer.group_add(group_name(room.key), self.channel_name)
        swept, (me, others) = await self.join()
        self.peer_id, self.seq = me.peer_id, me.pk
        for other in others:
            self.peers[other.peer_id] = other.channel_name
        await self.send_json(messages.welcome(
            me.peer_id, [self._peer(o.peer_id, o.role, o.display_name, o.pk) for o in others],
            ice_servers(f"u{user.pk}"), room.key))
        await self.announce_left(swept)
        await self.channel_layer.group_send(group_name(room.key), events.RoomJoined(
            peer_id=me.peer_id, channel=self.channel_name, role=me.role,
            name=me.display_name, seq=me.pk).payload())
        self.heartbeat = asyncio.create_task(self.keep_lease())

    async def disconnect(self, code):
        await self.leave_room()

    async def leave_room(self):
        """Tell the room and close the attendance, once (on disconnect or when we close)."""
        if self.room is None or self.peer_id is None or getattr(self, "left", False):
            return
        self.left = True
        if self.heartbeat is not None and self.heartbeat is not asyncio.current_task():
            self.heartbeat.cancel()
        group = group_name(self.room.key)
        try:
            await self.channel_layer.group_discard(group, self.channel_name)
            await self.channel_layer.group_send(
                group, events.RoomLeft(peer_id=self.peer_id).payload())
        except Exception:  # the layer is down: still end the stay below, and say why
            log.exception("could not announce that %s left %s", self.peer_id, self.room.key)
        await self.leave()

    async def __call__(self, scope, receive, send):
        # When a handler raises (say the channel layer fails), Channels never dispatches
        # websocket.disconnect; the stay must end anyway, or later joiners meet a ghost.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.leave_room()

    # --- client frames ---------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.peer_id is None or self.closing:
            return  # frames already in flight when we closed are dropped unread
        if not self.frames.take():
            return await self.refuse("rate_limited", "too many messages; slow down")
        try:
            message = messages.parse(text_data)
        except messages.ProtocolError as exc:
            return await self.refuse(exc.code, exc.message)
        if message.type == "ping":
            return await self.send_json(messages.pong())
        channel = self.peers.get(message.to)
        if channel is None:
            return await self.refuse("unknown_peer", "no such peer in this room")
        frame = {"type": message.type, "from": self.peer_id, **message.body}
        try:
            await self.channel_layer.send(channel, {"type": "relay", "frame": frame})
        except ChannelFull:
            await self.refuse("peer_busy", "the peer is not reading; try again")

    async def refuse(self, code: str, message: str):
        """Answer an error frame; a socket that keeps misbehaving is closed (only it)."""
        if not self.strikes.take():
            log.info("closing abusive signaling socket %s in %s", self.peer_id,
                     self.room.key if self.room else "-")
            self.closing = True
            await self.close(CLOSE_ABUSE)
            return await self.leave_room()
        await self.send_json(messages.error(code, message))

    # --- channel layer events ------------------------------------------------------------

    async def relay(self, event):
        await self.send_json(event["frame"])

    async def room_joined(self, event):
        if event["peer_id"] == self.peer_id or event["peer_id"] in self.peers:
            return
        self.peers[event["peer_id"]] = event["channel"]
        # The later joiner makes the offer, so exactly one side of each pair does.
        await self.send_json(messages.peer_joined(event["peer_id"], event["role"],
                                                  event["name"], event["seq"] < self.seq))

    async def room_left(self, event):
        if self.peers.pop(event["peer_id"], None) is not None:
            await self.send_json(messages.peer_left(event["peer_id"]))

    # --- presence lease --------------------------------------------------------------------

    async def keep_lease(self):
        """Renew our lease and sweep the room, every renew interval, until we leave."""
        while not getattr(self, "left", False):
            await asyncio.sleep(settings.SIGNALING_LEASE_RENEW_SECONDS)
            try:
                await self.presence_tick()
            except Exception:  # a database hiccup: the next tick retries, the lease has slack
                log.exception("could not renew the lease of %s in %s", self.peer_id,
                              self.room.key)

    async def presence_tick(self, event=None):
        """One renewal and sweep (also a layer message ``presence.tick``, to drive it).

        When our own lease already ran out, the others have been (or are about to be) told
        that we left, so we close with 4408 and the client rejoins with a fresh ticket.
        """
        if self.peer_id is None or getattr(self, "left", False):
            return
        alive, swept = await self.renew_and_sweep()
        await self.announce_left(swept)
        if not alive and not getattr(self, "left", False):
            log.warning("lease of %s in %s ran out; closing its socket", self.peer_id,
                        self.room.key)
            self.closing = True
            await self.close(CLOSE_LEASE_LOST)
            await self.leave_room()

    async def announce_left(self, peer_ids: list[str]):
        assert self.room is not None  # only called once the socket is in its room
        for peer_id in peer_ids:
            await self.channel_layer.group_send(
                group_name(self.room.key), events.RoomLeft(peer_id=peer_id).payload())

    def _peer(self, peer_id: str, role: str, name: str, seq: int) -> dict:
        # The later joiner makes the offer, so exactly one side of each pair does.
        return messages.peer_info(peer_id, role, name, seq < self.seq)

    # --- database --------------------------------------------------------------------------

    def _address(self) -> str | None:
        return client_ip_from_scope(self.scope)

    @database_sync_to_async
    def redeem(self, raw: str, room_key: str):
        return redeem_ticket(raw, room_key)

    @database_sync_to_async
    def resolve(self, kind: str, user, object_id: str) -> rooms.RoomDescriptor:
        return rooms.resolve(kind, user, object_id)

    def _server_url(self) -> str:
        host, port = (self.scope.get("server") or ("127.0.0.1", 80))[:2]
        return f"http://{host}:{port}"

    @database_sync_to_async
    def join(self):
        """Sweep the room's expired stays first, so no ghost is welcomed or counted."""
        swept = rooms.sweep(self.room)
        return swept, rooms.join(self.user, self.room, self.channel_name, self._address(),
                                 self._server_url())

    @database_sync_to_async
    def renew_and_sweep(self) -> tuple[bool, list[str]]:
        assert self.room is not None and self.peer_id is not None  # ticks start after join
        return rooms.renew(self.peer_id), rooms.sweep(self.room)

    @database_sync_to_async
    def leave(self):
        return rooms.leave(self.peer_id, self.room, self._address())
