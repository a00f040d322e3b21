"""Who is in which room, and the join/leave record.

Who may join is the room kind's business (cloudhospital/core/rooms.py, registered by
each workflow); this module records stays and brings in the consented recorder.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
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


def present_in(room_key: str, now=None) -> list[Attendance]:
    """Who is in the room: open stays whose lease has not run out (see :func:`sweep`)."""
    return list(Attendance.objects.filter(room_key=room_key, left_at__isnull=True,
                                          lease_until__gt=now or timezone.now())
                .select_related("user"))


def join(user, room: RoomDescriptor, channel_name: str, address: str | None = None,
         server_url: str = "", now=None) -> tuple[Attendance, list[Attendance]]:
    """Record the join, audit it, run the room's hooks; returns (me, the others present).

    Only live leases count, so the hooks never see a peer whose process died (a
    consultation does not start with a ghost). The caller sweeps first (:func:`sweep`)
    to close those stays and announce them.
    """
    now = now or timezone.now()
    with transaction.atomic():
        me = Attendance.objects.create(
            room_key=room.key, user=user, peer_id=secrets.token_hex(8),
            channel_name=channel_name, role=room.role, display_name=room.name[:100],
            lease_until=now + lease())
        here = present_in(room.key, now)
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
    return _close(Attendance.objects.filter(peer_id=peer_id, left_at__isnull=True),
                  peer_id, room, timezone.now(), address)


# --- presence leases -------------------------------------------------------------------------

def lease() -> timedelta:
    return timedelta(seconds=settings.SIGNALING_LEASE_SECONDS)


def renew(peer_id: str, now=None) -> bool:
    """Extend a live stay's lease; False once it ran out or was closed.

    An expired lease is never revived: a joiner may already have been welcomed without
    this peer and the others told it left, so its socket must rejoin instead.
    """
    now = now or timezone.now()
    return bool(Attendance.objects.filter(
        peer_id=peer_id, left_at__isnull=True, lease_until__gt=now).update(
        lease_until=now + lease()))


def sweep(room: RoomDescriptor, now=None) -> list[str]:
    """Close the stays in ``room`` whose lease ran out; returns their peer ids.

    Such a stay's process died without closing it (or stalled longer than the lease).
    Each gets an audited leave with ``reason: "lease_expired"``, dated at the end of its
    lease (it was not known alive after that). The caller announces the returned peers
    as left. Concurrent sweepers are safe: each row is closed by one conditional update.
    """
    now = now or timezone.now()
    stale = (Attendance.objects.filter(room_key=room.key, left_at__isnull=True)
             .filter(Q(lease_until__lte=now) | Q(lease_until__isnull=True))
             .values_list("peer_id", "lease_until"))
    closed = []
    for peer_id, until in stale:
        rows = Attendance.objects.filter(peer_id=peer_id, left_at__isnull=True).filter(
            Q(lease_until__lte=now) | Q(lease_until__isnull=True))
        if _close(rows, peer_id, room, min(until or now, now), reason="lease_expired"):
            closed.append(peer_id)
    return closed


def _close(rows, peer_id: str, room: RoomDescriptor, left_at, address: str | None = None,
           **detail) -> bool:
    with transaction.atomic():
        closed = rows.update(left_at=left_at)
        if closed:
            me = Attendance.objects.select_related("user").get(peer_id=peer_id)
            assert me.left_at is not None  # just set above
            audit.record(me.user, "room.leave", room.audit_object, object_type=_type(room),
                         object_id=room.key.partition(":")[2], address=address,
                         room=room.key, peer_id=peer_id,
                         seconds=round(max(0, (me.left_at - me.joined_at).total_seconds()), 1),
                         **detail)
    return bool(closed)


def _type(room: RoomDescriptor) -> str:
    return "" if room.audit_object is not None else "room." + room.key.partition(":")[0]
