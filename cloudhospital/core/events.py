"""Every event the core tells live clients, as a typed schema, and the one way to send it.

As zulip's ``event_types``: each event (a channel-layer group message that a socket
forwards as is) has a schema that rejects unknown fields, and is sent only through
:func:`send_event_on_commit`, after commit, so nobody hears of a change that was rolled
back. Socket frames of the signaling protocol have their schemas here as well; the
protocol parser for what clients send stays in signaling/messages.py.

Groups: each signed-in user has one, ``user.<id>``, which the notification socket
(clinics/followups/consumers.py) joins; workflows address people through it.
"""

from __future__ import annotations

from typing import Any, Literal

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """Base of every event and frame: no unknown fields, immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def payload(self) -> dict[str, Any]:
        """The JSON-ready dict that goes on the channel layer and the socket."""
        return self.model_dump(mode="json")


def user_group(user_id: int) -> str:
    """The group of one user's live sockets (Channels allows only ``[A-Za-z0-9._-]``)."""
    return f"user.{int(user_id)}"


# --- consultations -----------------------------------------------------------------------

class ConsultationStatus(Event):
    """A consultation moved; sent to each participant's user group."""

    type: Literal["consultation.status"] = "consultation.status"
    consultation: str
    status: str


# --- referrals ---------------------------------------------------------------------------

class ReferralStatus(Event):
    """A referral moved; sent to the user group of each person on it."""

    type: Literal["referral.status"] = "referral.status"
    referral: str
    status: str


# --- follow-up waiting room and notifications --------------------------------------------

class FollowupsPosition(Event):
    """What one waiting patient sees: their place and the expected wait."""

    type: Literal["followups.position"] = "followups.position"
    visit_id: int
    position: int
    expected_wait_minutes: int


class QueueEntry(Event):
    visit_id: int
    patient: str
    condition: str
    start: str
    checked_in_at: str
    urgent: bool


class FollowupsQueue(Event):
    """What the doctor sees: the waiting room in calling order."""

    type: Literal["followups.queue"] = "followups.queue"
    doctor_id: int
    queue: list[QueueEntry]


class FollowupsCalled(Event):
    """The doctor called a patient in: both open the room."""

    type: Literal["followups.called"] = "followups.called"
    visit_id: int
    room_url: str


class FollowupsNotification(Event):
    """An in-app notification (also in the Notification table)."""

    type: Literal["followups.notification"] = "followups.notification"
    id: int
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: str


# --- signaling: channel-layer messages between the consumers of one room ------------------

class RoomJoined(Event):
    type: Literal["room.joined"] = "room.joined"
    peer_id: str
    channel: str
    role: str
    name: str
    seq: int


class RoomLeft(Event):
    type: Literal["room.left"] = "room.left"
    peer_id: str


# --- signaling: frames the server sends on the socket ------------------------------------

class PeerInfo(Event):
    peer_id: str
    role: str
    name: str
    offer: bool


class Welcome(Event):
    type: Literal["welcome"] = "welcome"
    peer_id: str
    room: str
    peers: list[PeerInfo]
    ice_servers: list[dict[str, Any]]


class PeerJoined(PeerInfo):
    type: Literal["peer-joined"] = "peer-joined"


class PeerLeft(Event):
    type: Literal["peer-left"] = "peer-left"
    peer_id: str


class ErrorFrame(Event):
    type: Literal["error"] = "error"
    code: str
    message: str


class Pong(Event):
    type: Literal["pong"] = "pong"


def send_event_on_commit(group: str, event: Event) -> None:
    """Queue ``event`` for ``group`` once the current transaction commits.

    Only actions call this. The payload is built now (the schema has checked it), so
    what is sent is what the change looked like when it was made.
    """
    payload = event.payload()

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, payload)

    transaction.on_commit(send)
