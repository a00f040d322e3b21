"""Who may join which room, who is in it, and the join/leave record.

A room is owned by some object (a consultation, a follow-up visit, ...). Each kind of
owner registers a *resolver* that answers, for a user and an object id, whether and how
that user may join. The consumer, the ticket API and the room page know nothing about
consultations; they only call :func:`resolve`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cloudhospital.core.errors import NotFound
from cloudhospital.security import audit
from signaling.models import Attendance


@dataclass(frozen=True)
class Present:
    """Someone in the room, as the on-join hook sees them."""

    user_id: int
    role: str


@dataclass(frozen=True)
class RoomDescriptor:
    """What a resolver answers for one user and one room-owning object.

    - ``key``: the room's identity, ``"<kind>:<object id>"``; tickets are bound to it.
    - ``role`` / ``name``: how this user appears to the others (``peer_id``, role, name).
    - ``open``: whether the room accepts joins now (e.g. the consultation is scheduled or
      in progress). A closed room refuses the socket with 4403.
    - ``on_join(user, present)``: called after the join is recorded, inside a
      transaction, with everyone now present (``Present`` list, this user included); a
      consultation uses it to start once both sides are in. May be ``None``.
    - ``after_join(present, server_url)``: called after the join is committed, with
      everyone present and the base URL of the server the socket came in on (for
      server-side peers such as the recorder). May be ``None``.
    - ``audit_object``: the model instance join/leave audit entries point at.
    """

    key: str
    role: str
    name: str
    open: bool
    on_join: Callable[[Any, list[Present]], None] | None = None
    after_join: Callable[[list[Present], str], None] | None = None
    audit_object: Any = None
    extra: dict = field(default_factory=dict)


Resolver = Callable[[Any, str], RoomDescriptor]
_RESOLVERS: dict[str, Resolver] = {}


def register_room_kind(kind: str, resolver: Resolver) -> None:
    """Let rooms of ``kind`` be joined at ``/ws/<kind>s/<id>/signal/`` and friends.

    Contract for ``resolver(user, object_id) -> RoomDescriptor``:

    - ``user`` is an authenticated user; ``object_id`` is the raw string from the URL
      (validate it yourself: a malformed id is ``NotFound``).
    - Raise ``cloudhospital.core.errors.NotFound`` when the object does not exist *or the
      user may not know it exists* (socket closes 4404, API answers 404).
    - Raise ``cloudhospital.core.errors.NotAllowed`` when the user can see it but is not a
      participant (4403 / 403).
    - Otherwise return a :class:`RoomDescriptor` whose ``key`` is ``f"{kind}:{object_id}"``
      in a canonical form, with ``open`` false when joining is not possible right now.
    - It runs in a worker thread with database access; it must not write (the on-join
      hook is where writes belong) and should be quick: it runs for every ticket and
      every socket.

    Registering the same kind twice replaces the resolver (handy in tests); call this
    from your ``AppConfig.ready()``. The "visit" kind is routed already
    (``/ws/visits/<id>/signal/``, ``/visits/<id>/room/``,
    ``POST /api/v1/visits/<id>/signaling-ticket``) and answers 4404 until registered.
    """
    if not kind.isidentifier():
        raise ValueError(f"room kind must be an identifier, got {kind!r}")
    _RESOLVERS[kind] = resolver


def registered_kinds() -> set[str]:
    return set(_RESOLVERS)


def resolve(kind: str, user, object_id: str) -> RoomDescriptor:
    """The room ``user`` would join, or NotFound / NotAllowed."""
    resolver = _RESOLVERS.get(kind)
    if resolver is None:
        raise NotFound(f"no room kind {kind!r}")
    return resolver(user, str(object_id))


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
    if room.after_join is not None:
        room.after_join(present, server_url)
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
            audit.record(me.user, "room.leave", room.audit_object, object_type=_type(room),
                         object_id=room.key.partition(":")[2], address=address,
                         room=room.key, peer_id=peer_id,
                         seconds=round(max(0, (me.left_at - me.joined_at).total_seconds()), 1),
                         **detail)
    return bool(closed)


def _type(room: RoomDescriptor) -> str:
    return "" if room.audit_object is not None else "room." + room.key.partition(":")[0]
