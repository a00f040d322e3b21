"""Every event and socket frame has a schema: its exact payload, and unknown fields refused.

And the consultation status event has a receiver: the participant's notification socket.
"""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from pydantic import ValidationError

from cloudhospital.core import events

PAYLOADS = [
    (events.ConsultationStatus(consultation="c-1", status="scheduled"),
     {"type": "consultation.status", "consultation": "c-1", "status": "scheduled"}),
    (events.ReferralStatus(referral="r-1", status="requested"),
     {"type": "referral.status", "referral": "r-1", "status": "requested"}),
    (events.FollowupsPosition(visit_id=3, position=2, expected_wait_minutes=15),
     {"type": "followups.position", "visit_id": 3, "position": 2,
      "expected_wait_minutes": 15}),
    (events.FollowupsQueue(doctor_id=7, queue=[events.QueueEntry(
        visit_id=3, patient="Pat", condition="I10", start="2026-01-01T08:00:00+00:00",
        checked_in_at="2026-01-01T07:50:00+00:00", urgent=False)]),
     {"type": "followups.queue", "doctor_id": 7, "queue": [
         {"visit_id": 3, "patient": "Pat", "condition": "I10",
          "start": "2026-01-01T08:00:00+00:00", "checked_in_at": "2026-01-01T07:50:00+00:00",
          "urgent": False}]}),
    (events.FollowupsCalled(visit_id=3, room_url="/visits/3/room/"),
     {"type": "followups.called", "visit_id": 3, "room_url": "/visits/3/room/"}),
    (events.FollowupsNotification(id=1, kind="reminder", title="t", body="b", data={"x": 1},
                                  created_at="2026-01-01T00:00:00+00:00"),
     {"type": "followups.notification", "id": 1, "kind": "reminder", "title": "t",
      "body": "b", "data": {"x": 1}, "created_at": "2026-01-01T00:00:00+00:00"}),
    (events.RoomJoined(peer_id="p1", channel="ch!1", role="specialist", name="Sam", seq=4),
     {"type": "room.joined", "peer_id": "p1", "channel": "ch!1", "role": "specialist",
      "name": "Sam", "seq": 4}),
    (events.RoomLeft(peer_id="p1"), {"type": "room.left", "peer_id": "p1"}),
    (events.Welcome(peer_id="p2", room="visit:3", ice_servers=[], peers=[events.PeerInfo(
        peer_id="p1", role="doctor", name="Dora", offer=False)]),
     {"type": "welcome", "peer_id": "p2", "room": "visit:3", "ice_servers": [],
      "peers": [{"peer_id": "p1", "role": "doctor", "name": "Dora", "offer": False}]}),
    (events.PeerJoined(peer_id="p3", role="patient", name="Pat", offer=True),
     {"type": "peer-joined", "peer_id": "p3", "role": "patient", "name": "Pat",
      "offer": True}),
    (events.PeerLeft(peer_id="p3"), {"type": "peer-left", "peer_id": "p3"}),
    (events.ErrorFrame(code="rate_limited", message="slow down"),
     {"type": "error", "code": "rate_limited", "message": "slow down"}),
    (events.Pong(), {"type": "pong"}),
]


@pytest.mark.parametrize(("event", "payload"), PAYLOADS,
                         ids=[type(e).__name__ for e, _ in PAYLOADS])
def test_each_event_has_exactly_its_payload(event, payload):
    assert event.payload() == payload


@pytest.mark.parametrize(("event", "payload"), PAYLOADS,
                         ids=[type(e).__name__ for e, _ in PAYLOADS])
def test_each_event_refuses_an_unknown_field_and_a_wrong_type(event, payload):
    with pytest.raises(ValidationError):
        type(event)(**{**payload, "surprise": 1})
    with pytest.raises(ValidationError):
        type(event)(**{**payload, "type": "something.else"})


def test_user_groups_are_valid_channels_group_names():
    assert events.user_group(42) == "user.42"


@pytest.mark.django_db(transaction=True)
async def test_a_consultation_status_reaches_each_participants_notification_socket(
        world, consultation_at):
    """Both doctors' and the patient's notification sockets hear the move; an outsider's
    hears nothing: the first thing it receives is a marker sent after the move."""
    import datetime as dt

    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer
    from django.utils import timezone

    from clinics.consultations import actions
    from clinics.followups.consumers import FollowupsConsumer

    consultation = await sync_to_async(consultation_at)("accepted")
    sockets = {}
    for name in ("pat", "alice", "sam", "oscar"):
        communicator = WebsocketCommunicator(FollowupsConsumer.as_asgi(), "/ws/followups/")
        communicator.scope["user"] = getattr(world, name).user
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from())["type"] == "followups.snapshot"
        sockets[name] = communicator

    await sync_to_async(actions.schedule)(world.sam.user, consultation,
                                          when=timezone.now() + dt.timedelta(hours=2))
    expected = {"type": "consultation.status", "consultation": str(consultation.pk),
                "status": "scheduled"}
    for name in ("pat", "alice", "sam"):
        assert await sockets[name].receive_json_from(timeout=10) == expected
    marker = events.ConsultationStatus(consultation="marker", status="none").payload()
    await get_channel_layer().group_send(events.user_group(world.oscar.user.pk), marker)
    assert await sockets["oscar"].receive_json_from(timeout=10) == marker
    for communicator in sockets.values():
        await communicator.disconnect()
