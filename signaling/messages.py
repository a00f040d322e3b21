"""The signaling protocol: every client → server message is parsed and checked here.

The consumer hands raw text to :func:`parse` and gets back a :class:`Message` or a
:class:`ProtocolError` carrying the error code sent back to the client. Server → client
frames are built by the small helpers at the bottom so their shape lives in one place
(and in docs/signaling.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cloudhospital.core import events

MAX_FRAME_BYTES = 64 * 1024
MAX_PEER_ID = 32
MAX_SDP = 60 * 1024
MAX_CANDIDATE_FIELD = 1024

CLIENT_TYPES = {"offer", "answer", "ice", "ping"}
RELAYED_TYPES = {"offer", "answer", "ice"}


class ProtocolError(Exception):
    """A frame the server refuses; ``code`` goes back in the error frame."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Message:
    type: str
    to: str | None = None
    body: dict[str, Any] | None = None  # the relayed fields, without "from"/"to"


def parse(text: str | None) -> Message:
    """One client frame → a validated :class:`Message`, or :class:`ProtocolError`."""
    if text is None:
        raise ProtocolError("bad_frame", "binary frames are not part of the protocol")
    if len(text) > MAX_FRAME_BYTES or len(text.encode("utf-8")) > MAX_FRAME_BYTES:
        raise ProtocolError("too_large", f"frames are limited to {MAX_FRAME_BYTES} bytes")
    try:
        data = json.loads(text)
    except ValueError:
        raise ProtocolError("bad_json", "a frame must be a JSON object") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_json", "a frame must be a JSON object")
    kind = data.get("type")
    if kind not in CLIENT_TYPES:
        raise ProtocolError("unknown_type", f"unknown message type {str(kind)[:40]!r}")
    if kind == "ping":
        return Message(type="ping")
    to = data.get("to")
    if not isinstance(to, str) or not to or len(to) > MAX_PEER_ID:
        raise ProtocolError("missing_field", f"{kind} needs 'to': a peer id")
    if kind in {"offer", "answer"}:
        sdp = data.get("sdp")
        if not isinstance(sdp, str) or not sdp or len(sdp) > MAX_SDP:
            raise ProtocolError("missing_field", f"{kind} needs 'sdp': session description text")
        body: dict[str, Any] = {"sdp": sdp}
        if "restart" in data:
            body["restart"] = bool(data["restart"])
    else:
        body = {"candidate": _candidate(data)}
    return Message(type=kind, to=to, body=body)


def _candidate(data: dict) -> dict | None:
    """An RTCIceCandidateInit (or null, meaning end of candidates), only known keys kept."""
    if "candidate" not in data:
        raise ProtocolError("missing_field", "ice needs 'candidate': an object or null")
    candidate = data["candidate"]
    if candidate is None:
        return None
    if not isinstance(candidate, dict) or not isinstance(candidate.get("candidate"), str):
        raise ProtocolError("missing_field", "'candidate' must have a 'candidate' string")
    clean: dict[str, Any] = {"candidate": candidate["candidate"][:MAX_CANDIDATE_FIELD]}
    for key in ("sdpMid", "usernameFragment"):
        value = candidate.get(key)
        if value is not None:
            if not isinstance(value, str) or len(value) > 64:
                raise ProtocolError("missing_field", f"'{key}' must be a short string")
            clean[key] = value
    index = candidate.get("sdpMLineIndex")
    if index is not None:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 64:
            raise ProtocolError("missing_field", "'sdpMLineIndex' must be a small integer")
        clean["sdpMLineIndex"] = index
    return clean


# --- server → client frames (schemas in cloudhospital/core/events.py) ---------------------

def peer_info(peer_id: str, role: str, name: str, offer: bool) -> dict:
    return events.PeerInfo(peer_id=peer_id, role=role, name=name, offer=offer).payload()


def peer_joined(peer_id: str, role: str, name: str, offer: bool) -> dict:
    return events.PeerJoined(peer_id=peer_id, role=role, name=name, offer=offer).payload()


def peer_left(peer_id: str) -> dict:
    return events.PeerLeft(peer_id=peer_id).payload()


def welcome(peer_id: str, peers: list[dict], ice_servers: list[dict], room: str) -> dict:
    return events.Welcome(peer_id=peer_id, room=room,
                          peers=[events.PeerInfo(**peer) for peer in peers],
                          ice_servers=ice_servers).payload()


def error(code: str, message: str) -> dict:
    return events.ErrorFrame(code=code, message=message).payload()


def pong() -> dict:
    return events.Pong().payload()
