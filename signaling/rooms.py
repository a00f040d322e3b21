"""Who is in which room, and the join/leave record.

Who may join is the room kind's business (cloudhospital/core/rooms.py, registered by
each workflow); this module records stays and brings in the consented recorder.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from cloudhospital.core.rooms import (
    RECORDER_ROLE,
    Present,
    RoomDescriptor,
    is_recorder,
    register_room_kind,
    registered_kinds,
    resolve,
    unregister_room_kind,
)
from cloudhospital.security import audit
from signaling import tasks
from signaling.models import Attendance

__all__ = ["Present", "RoomDescriptor", "is_recorder", "join", "leave", "present_in",
           "register_room_kind", "registered_kinds", "resolve", "unregister_room_kind"]


def present_in(room_key: str) -> list[Attendance]:
    return list(Attendance.objects.filter(room_key=room_key, left_at__isnull=True)
                .select_related("user"))


def join(user, room: RoomDescriptor, channel_name: str, address: str | None = None,
         server_url: str = "") -> tuple[Attendance, list[Attendance]]:
    """Record the join, audit it, run the room's hooks; returns (me, the others present)."""
    with transaction.atomic():
        me = Attendance.objects.create(
            room_key=room.key, user=user, peer_id=secrets.token_hex(8),
            channel_name=channel_name, role=room.role, display_name=room.name[:100])
        here = present_in(room.key)
        audit.record(user, "room.join", room.audit_object, object_type=_type(room),
                     object_id=room.key.partition(":")[2], address=address,
                     room=room.key, peer_id=me.peer_id, role=room.role)
        present = [Present(a.user_id, a.role) for a in here]
        if room.on_join is not None:
            room.on_join(user, present)
    if (room.record_when is not None and RECORDER_ROLE not in {p.role for p in present}
            and room.record_when(present)):
        tasks.launch_recorder(room.key, server_url)
    return me, [a for a in here if a.pk != me.pk]


def leave(peer_id: str, room: RoomDescriptor, address: str | None = None) -> bool:
    """Close the attendance of ``peer_id``; False when it was already closed."""
    with transaction.atomic():
        closed = Attendance.objects.filter(peer_id=peer_id, left_at__isnull=True).update(
            left_at=timezone.now())
        if closed:
            me = Attendance.objects.select_related("user").get(peer_id=peer_id)
            assert me.left_at is not None  # just set above
            audit.record(me.user, "room.leave", room.audit_object, object_type=_type(room),
                         object_id=room.key.partition(":")[2], address=address,
                         room=room.key, peer_id=peer_id,
                         seconds=round((me.left_at - me.joined_at).total_seconds(), 1))
    return bool(closed)


def _type(room: RoomDescriptor) -> str:
    return "" if room.audit_object is not None else "room." + room.key.partition(":")[0]
