"""A headless room peer (a cloud clinic's room device) speaking the signaling protocol.

    python -m signaling.client --server http://127.0.0.1:8000 --consultation ID \\
        --token chk_... [--video FILE | --test-pattern] [--loopback-only]

It fetches a ticket with its bearer token, joins the room, and makes one aiortc peer
connection per other peer: it offers to those the server marks ``"offer": true`` and
answers the others. Each connection carries video (and audio), plus a data channel
"chat" on which each side says hello. On a dropped socket it reconnects with a fresh
ticket; a failed peer connection is rebuilt by the side that offered. With
``--exit-after-frames N`` it stops once it has received N video frames and a chat
message, and prints a JSON summary (used by the end-to-end tests).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import urllib.request

import websockets
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaPlayer, MediaRelay
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp

from signaling.media import TestPatternTrack, ToneTrack, is_loopback_candidate, loopback_only

log = logging.getLogger("signaling.client")
# What the recorder sends a participant over the data channel once it has its video.
RECORDED = "recorded"
FINAL_CLOSE_CODES = {4403, 4404, 4429}
MAX_RECONNECTS = 5


def fetch_ticket(server: str, kind: str, object_id: str, token: str) -> dict:
    if not server.startswith(("http://", "https://")):
        raise ValueError("--server must be an http:// or https:// URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        f"{server.rstrip('/')}/api/v1/{kind}s/{object_id}/signaling-ticket", method="POST",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our server
        return json.load(answer)


class MediaSource:
    """Tracks to send to each peer: a file (shared through a relay) or a test pattern."""

    def __init__(self, video_file: str | None = None, audio: bool = True):
        self.player = MediaPlayer(video_file) if video_file else None
        self.relay = MediaRelay()
        self.audio = audio

    def tracks(self) -> list[MediaStreamTrack]:
        if self.player is not None:
            found = [self.player.video, self.player.audio if self.audio else None]
            return [self.relay.subscribe(t) for t in found if t is not None]
        return [TestPatternTrack(), *([ToneTrack()] if self.audio else [])]


class RoomClient:
    """One participant: a socket to the signaling service and a connection per peer."""

    def __init__(self, server: str, object_id: str, token: str, *, kind: str = "consultation",
                 media: MediaSource | None = None, loopback: bool = False):
        self.server, self.object_id, self.token, self.kind = server, object_id, token, kind
        self.media = media if media is not None else MediaSource()
        self.loopback = loopback
        self.peer_id: str | None = None
        self.ice_servers: list[dict] = []
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.offered: set[str] = set()
        self.frames: dict[str, int] = {}
        self.roles: dict[str, str] = {}
        self.messages: list[str] = []
        self.channels: dict[str, RTCDataChannel] = {}
        self.changed = asyncio.Event()
        self.tasks: set[asyncio.Task] = set()
        self.ws = None
        self.stopping = False
        self.close_code: int | None = None

    # --- the socket ------------------------------------------------------------------------

    async def run(self) -> None:
        """Join and keep the room until stop(); reconnect (bounded) when the socket drops."""
        attempts = 0
        while not self.stopping and attempts <= MAX_RECONNECTS:
            ticket = await self.get_ticket()
            url = (self.server.replace("http", "ws", 1).rstrip("/") + ticket["ws_path"]
                   + "?ticket=" + ticket["ticket"])
            try:
                async with websockets.connect(url, origin=self.server.rstrip("/"),
                                              max_size=2 ** 16) as ws:
                    self.ws = ws
                    attempts = 0
                    async for raw in ws:
                        await self.handle(json.loads(raw))
                    self.close_code = ws.close_code
            except (OSError, websockets.ConnectionClosed) as exc:
                log.warning("signaling socket dropped: %s", exc)
                self.close_code = getattr(exc, "code", None) or getattr(
                    getattr(exc, "rcvd", None), "code", None)
            self.ws = None
            if self.close_code in FINAL_CLOSE_CODES or self.stopping:
                break
            attempts += 1
            await asyncio.sleep(min(0.5 * 2 ** attempts, 5))
            await self.close_peers()

    async def get_ticket(self) -> dict:
        return await asyncio.to_thread(fetch_ticket, self.server, self.kind, self.object_id,
                                       self.token)

    async def send(self, frame: dict) -> None:
        if self.ws is not None:
            await self.ws.send(json.dumps(frame))

    async def handle(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "welcome":
            self.peer_id, self.ice_servers = frame["peer_id"], frame["ice_servers"]
            for peer in frame["peers"]:
                self.roles[peer["peer_id"]] = peer.get("role", "")
                if peer.get("offer"):
                    await self.make_offer(peer["peer_id"])
        elif kind == "peer-joined":
            self.roles[frame["peer_id"]] = frame.get("role", "")
            if frame.get("offer"):
                await self.make_offer(frame["peer_id"])
        elif kind == "peer-left":
            await self.close_peer(frame["peer_id"])
        elif kind == "offer":
            await self.answer(frame["from"], frame["sdp"])
        elif kind == "answer":
            pc = self.pcs.get(frame["from"])
            if pc is not None and pc.signalingState == "have-local-offer":
                await pc.setRemoteDescription(RTCSessionDescription(frame["sdp"], "answer"))
                await self.remote_described(frame["from"])
        elif kind == "ice":
            await self.add_candidate(frame["from"], frame["candidate"])
        elif kind == "error":
            log.warning("server refused a frame: %s %s", frame.get("code"), frame.get("message"))
        self.changed.set()

    # --- peer connections -----------------------------------------------------------------

    def new_pc(self, peer: str) -> RTCPeerConnection:
        servers = [RTCIceServer(urls=s["urls"], username=s.get("username"),
                                credential=s.get("credential")) for s in self.ice_servers]
        # Always pass a configuration: aiortc's default adds a public STUN server.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
        self.pcs[peer] = pc
        self.frames.setdefault(peer, 0)

        @pc.on("track")
        def on_track(track):
            self.track_added(peer, track)

        @pc.on("datachannel")
        def on_datachannel(channel):
            self.wire_channel(channel)
            channel.send(f"hello from {self.peer_id}")

        @pc.on("connectionstatechange")
        async def on_state():
            log.info("peer %s: %s", peer, pc.connectionState)
            self.changed.set()
            if pc.connectionState == "failed" and peer in self.offered and not self.stopping:
                await self.close_peer(peer)
                await self.make_offer(peer)  # a fresh ICE session: aiortc has no restartIce

        self.add_media(pc)
        return pc

    def add_media(self, pc: RTCPeerConnection) -> None:
        for track in self.media.tracks():
            pc.addTrack(track)

    def track_added(self, peer: str, track) -> None:
        self.spawn(self.consume(peer, track))

    async def remote_described(self, peer: str) -> None:
        """Called once the peer's description is applied: all its tracks are known."""

    def wire_channel(self, channel) -> None:
        @channel.on("message")
        def on_message(message):
            self.messages.append(str(message))
            self.changed.set()

    async def make_offer(self, peer: str) -> None:
        await self.close_peer(peer)
        pc = self.new_pc(peer)
        self.offered.add(peer)
        channel = pc.createDataChannel("chat")
        self.channels[peer] = channel
        self.wire_channel(channel)

        @channel.on("open")
        def on_open():
            channel.send(f"hello from {self.peer_id}")

        await pc.setLocalDescription(await pc.createOffer())
        await self.send({"type": "offer", "to": peer, "sdp": pc.localDescription.sdp})

    async def answer(self, peer: str, sdp: str) -> None:
        # A repeated offer (ICE restart, renegotiation) gets a fresh connection.
        await self.close_peer(peer)
        pc = self.new_pc(peer)
        await pc.setRemoteDescription(RTCSessionDescription(self.filter_sdp(sdp), "offer"))
        await self.remote_described(peer)
        await pc.setLocalDescription(await pc.createAnswer())
        await self.send({"type": "answer", "to": peer, "sdp": pc.localDescription.sdp})

    def filter_sdp(self, sdp: str) -> str:
        if not self.loopback:
            return sdp
        return "\r\n".join(line for line in sdp.split("\r\n")
                           if not line.startswith("a=candidate:") or is_loopback_candidate(line))

    async def add_candidate(self, peer: str, candidate: dict | None) -> None:
        pc = self.pcs.get(peer)
        if pc is None or pc.remoteDescription is None:
            return
        if candidate is None or not candidate.get("candidate"):
            return  # aiortc gathers and checks without trickle; end-of-candidates is a no-op
        if self.loopback and not is_loopback_candidate(candidate["candidate"]):
            return
        ice = candidate_from_sdp(candidate["candidate"].removeprefix("candidate:"))
        ice.sdpMid, ice.sdpMLineIndex = candidate.get("sdpMid"), candidate.get("sdpMLineIndex")
        await pc.addIceCandidate(ice)

    async def consume(self, peer: str, track) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                if track.kind == "video":
                    self.frames[peer] = self.frames.get(peer, 0) + 1
                    self.changed.set()

    def spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def close_peer(self, peer: str) -> None:
        pc = self.pcs.pop(peer, None)
        self.offered.discard(peer)
        if pc is not None:
            await pc.close()

    async def close_peers(self) -> None:
        for peer in list(self.pcs):
            await self.close_peer(peer)

    async def stop(self) -> None:
        self.stopping = True
        await self.close_peers()
        if self.ws is not None:
            await self.ws.close()
        for task in list(self.tasks):
            task.cancel()

    # --- waiting, for tests and the CLI ---------------------------------------------------

    def told_recorded(self) -> bool:
        """The recorder said over the data channel that it has recorded our video."""
        return RECORDED in self.messages

    async def wait_until(self, condition, timeout: float) -> bool:
        async def until():
            while not condition():
                self.changed.clear()
                await self.changed.wait()

        try:
            await asyncio.wait_for(until(), timeout)
            return True
        except TimeoutError:
            return False

    def satisfied(self, frames: int) -> bool:
        return bool(self.messages) and any(n >= frames for n in self.frames.values())

    async def wait_for(self, frames: int, timeout: float) -> bool:
        async def until():
            while not self.satisfied(frames):
                self.changed.clear()
                await self.changed.wait()

        try:
            await asyncio.wait_for(until(), timeout)
            return True
        except TimeoutError:
            return False

    def summary(self) -> dict:
        return {"peer_id": self.peer_id, "frames": self.frames, "messages": self.messages,
                "close_code": self.close_code}


async def main_async(args) -> int:
    if args.loopback_only:
        loopback_only()
    client = RoomClient(args.server, args.object_id, args.token, kind=args.kind,
                        media=MediaSource(None if args.test_pattern else args.video),
                        loopback=args.loopback_only)
    runner = asyncio.ensure_future(client.run())
    ok = True
    if args.exit_after_frames:
        waiter = asyncio.ensure_future(client.wait_for(args.exit_after_frames, args.timeout))
        await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        ok = waiter.done() and waiter.result()
        waiter.cancel()
        if ok and args.stay_until_recorded:  # the recorder says when it has our video
            ok = await client.wait_until(client.told_recorded, args.timeout)
        if ok:  # stay a moment so the other side can finish receiving too
            await asyncio.sleep(args.linger)
    else:
        await runner
    await client.stop()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(runner, 5)
    print(json.dumps(client.summary()), flush=True)
    return 0 if ok else 1


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m signaling.client", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True, help="http://host:port of the platform")
    room = parser.add_mutually_exclusive_group(required=True)
    room.add_argument("--consultation", dest="object_id")
    room.add_argument("--visit", dest="visit_id")
    parser.add_argument("--token", required=True, help="API bearer token (chk_...)")
    media = parser.add_mutually_exclusive_group()
    media.add_argument("--video", help="a media file to send (anything FFmpeg reads)")
    media.add_argument("--test-pattern", action="store_true", help="colour bars (default)")
    parser.add_argument("--loopback-only", action="store_true",
                        help="ICE on 127.0.0.1 only (tests, single-host set-ups)")
    parser.add_argument("--exit-after-frames", type=int, default=0,
                        help="stop after N received video frames and a chat message")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="with --exit-after-frames: give up after this many seconds")
    parser.add_argument("--stay-until-recorded", action="store_true",
                        help="with --exit-after-frames: then also wait until the recorder "
                             "says it has recorded this peer's video, before lingering")
    parser.add_argument("--linger", type=float, default=3.0,
                        help="with --exit-after-frames: seconds to stay after success")
    args = parser.parse_args(argv)
    args.kind = "consultation"
    if args.visit_id:
        args.kind, args.object_id = "visit", args.visit_id
    return args


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
