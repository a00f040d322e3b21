"""The consented recorder: a server-side aiortc peer that records each participant.

Signaling enqueues it (signaling/tasks.py) when the room's descriptor says recording is consented
(``RoomDescriptor.record_when``, decided by the workflow, e.g.
clinics/consultations/consent.py), and the room's resolver refuses its service account
otherwise, so there is no way round the check. Each remote participant's audio and video
go to a Matroska file in a private temporary directory; when the peer leaves (or the
recorder stops) the file is encrypted with the active key
(cloudhospital.security.crypto.encrypt, bound to the room key), written under
DATA_DIR/recordings, the plaintext is deleted, and a Recording row is attached.

    python -m signaling.recorder --server http://127.0.0.1:8000 --room consultation:ID
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from aiortc.contrib.media import MediaRecorder
from asgiref.sync import sync_to_async

from cloudhospital.core.rooms import RECORDER_USERNAME, is_recorder

log = logging.getLogger("signaling.recorder")
__all__ = ["is_recorder", "read_recording", "record", "recorder_user", "store"]
IDLE_SECONDS = 5.0
ACK_AFTER_FRAMES = 15


def recorder_user():
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(username=RECORDER_USERNAME)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def store(room_key: str, plain: Path, started_at: dt.datetime):
    """Encrypt ``plain`` at rest, attach it to the room, delete the plaintext."""
    from django.conf import settings

    from cloudhospital.security import audit
    from cloudhospital.security.crypto import encrypt
    from signaling.models import Recording

    data = plain.read_bytes()
    plain.unlink()
    if not data:
        return None
    kind, _, object_id = room_key.partition(":")
    folder = Path(settings.DATA_DIR) / "recordings"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()
    target = folder / f"{kind}-{object_id}-{digest[:16]}.mkv.enc"
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(encrypt(data, associated_data=room_key.encode()))
    os.replace(tmp, target)
    recording = Recording.objects.create(room_key=room_key, path=str(target),
                                         size=len(data), sha256=digest, started_at=started_at)
    audit.record(recorder_user(), "recording.store", object_type=f"room.{kind}",
                 object_id=object_id, size=len(data), recording=recording.pk)
    return recording


def read_recording(recording) -> bytes:
    """The decrypted media of a Recording (for playback and tests)."""
    from cloudhospital.security.crypto import decrypt

    return decrypt(Path(recording.path).read_bytes(),
                   associated_data=recording.room_key.encode())


def _client_class():
    from aiortc import MediaStreamTrack, RTCPeerConnection

    from signaling.client import RECORDED, MediaSource, RoomClient

    class CountedTrack(MediaStreamTrack):
        """Passes frames through to the MediaRecorder, counting them on the way."""

        def __init__(self, track, on_frame):
            super().__init__()
            self.kind = track.kind
            self.track, self.on_frame = track, on_frame

        async def recv(self):
            frame = await self.track.recv()
            self.on_frame()
            return frame

    class RecorderClient(RoomClient):
        """Receives only; one MediaRecorder per remote participant."""

        def __init__(self, server: str, room_key: str, loopback: bool = False):
            kind, _, object_id = room_key.partition(":")
            super().__init__(server, object_id, "", kind=kind, media=MediaSource(audio=False),
                             loopback=loopback)
            self.room_key = room_key
            self.workdir = Path(tempfile.mkdtemp(prefix="recorder-"))
            self.recorders: dict[str, tuple[MediaRecorder, Path, dt.datetime]] = {}
            self.stored = 0
            self.counts: dict[str, int] = {}
            self.idle_since = time.monotonic()

        async def get_ticket(self) -> dict:
            return await sync_to_async(ticket_for_recorder)(self.room_key)

        def add_media(self, pc: RTCPeerConnection) -> None:
            pc.addTransceiver("audio", direction="recvonly")
            pc.addTransceiver("video", direction="recvonly")

        def track_added(self, peer: str, track) -> None:
            if peer not in self.recorders:
                path = self.workdir / f"{peer}.mkv"
                self.recorders[peer] = (MediaRecorder(str(path), format="matroska"), path,
                                        dt.datetime.now(dt.UTC))
            if track.kind == "video":
                track = CountedTrack(track, lambda: self.video_frame_from(peer))
            self.recorders[peer][0].addTrack(track)

        def video_frame_from(self, peer: str) -> None:
            """After enough recorded frames, tell the peer (an event, not a guess)."""
            self.counts[peer] = self.counts.get(peer, 0) + 1
            channel = self.channels.get(peer)
            if (self.counts[peer] == ACK_AFTER_FRAMES and channel is not None
                    and channel.readyState == "open"):
                channel.send(RECORDED)

        async def remote_described(self, peer: str) -> None:
            if peer in self.recorders:
                await self.recorders[peer][0].start()

        async def close_peer(self, peer: str) -> None:
            await super().close_peer(peer)
            entry = self.recorders.pop(peer, None)
            if entry is not None:
                recorder, path, started = entry
                with contextlib.suppress(Exception):  # a never-started recorder has no file
                    await recorder.stop()
                if path.exists():
                    await sync_to_async(store)(self.room_key, path, started)
                    self.stored += 1

        async def handle(self, frame: dict) -> None:
            if frame.get("type") == "offer" and self.peer_id is None:
                return
            await super().handle(frame)

    return RecorderClient


def ticket_for_recorder(room_key: str) -> dict:
    from cloudhospital.security.tokens import issue_ticket

    kind, _, object_id = room_key.partition(":")
    return {"ticket": issue_ticket(recorder_user(), room_key),
            "ws_path": f"/ws/{kind}s/{object_id}/signal/"}


async def record(server: str, room_key: str, *, max_seconds: float = 4 * 3600,
                 loopback: bool = False) -> int:
    """Record until the room has been empty of others for IDLE_SECONDS; returns files stored."""
    client = _client_class()(server, room_key, loopback=loopback)
    runner = asyncio.ensure_future(client.run())
    deadline = time.monotonic() + max_seconds
    while not runner.done() and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        if client.pcs:
            client.idle_since = time.monotonic()
        elif time.monotonic() - client.idle_since > IDLE_SECONDS:
            break
    await client.stop()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(runner, 5)
    log.info("recorder for %s stored %d file(s); close code %s", room_key,
             client.stored, client.close_code)
    return client.stored


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m signaling.recorder")
    parser.add_argument("--server", required=True)
    parser.add_argument("--room", required=True, help="the room key, <kind>:<id>")
    parser.add_argument("--max-seconds", type=float, default=4 * 3600)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudhospital.settings")
    import django

    django.setup()
    from django.conf import settings

    from signaling.media import loopback_only

    loopback = settings.RECORDER_LOOPBACK_ONLY
    if loopback:
        loopback_only()
    stored = asyncio.run(record(args.server, args.room, max_seconds=args.max_seconds,
                                loopback=loopback))
    return 0 if stored else 1


if __name__ == "__main__":
    sys.exit(main())
