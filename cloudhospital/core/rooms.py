"""The room-kind registry: how a workflow tells signaling who may join its rooms.

A room is owned by some object (a consultation, a follow-up visit, ...). Each workflow
registers a *resolver* for its kind from its ``AppConfig.ready()``; signaling (the
consumer, the ticket API, the room page, the recorder) only calls :func:`resolve`. The
interface lives in the core so that workflows and signaling both import it and neither
imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext

from cloudhospital.core.errors import NotFound

# The service account of the consented recorder (signaling/recorder.py), and the role it
# has in a room. Resolvers admit it only while the room's recording is consented.
RECORDER_USERNAME = "system-recorder"
RECORDER_ROLE = "recorder"


def is_recorder(user: Any) -> bool:
    return getattr(user, "username", None) == RECORDER_USERNAME


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
    - ``record_when(present)``: whether the consented recorder should join now, given
      everyone present; the workflow decides consent and when (``None``: never recorded).
      Signaling brings the recorder in; the workflow's resolver must then admit the
      recorder service account (:func:`is_recorder`) only while recording is consented.
    - ``audit_object``: the model instance join/leave audit entries point at.
    """

    key: str
    role: str
    name: str
    open: bool
    on_join: Callable[[Any, list[Present]], None] | None = None
    record_when: Callable[[list[Present]], bool] | None = None
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
    from your ``AppConfig.ready()``. Every kind is routed at ``/ws/<kind>s/<id>/signal/``,
    ``/<kind>s/<id>/room/`` and ``POST /api/v1/<kind>s/<id>/signaling-ticket``; an
    unregistered kind answers 4404 / 404.
    """
    if not kind.isidentifier():
        raise ValueError(f"room kind must be an identifier, got {kind!r}")
    _RESOLVERS[kind] = resolver


def unregister_room_kind(kind: str) -> Resolver | None:
    """Forget ``kind``'s resolver and return it (tests swap resolvers with this)."""
    return _RESOLVERS.pop(kind, None)


def registered_kinds() -> set[str]:
    return set(_RESOLVERS)


def resolve(kind: str, user, object_id: str) -> RoomDescriptor:
    """The room ``user`` would join, or NotFound / NotAllowed."""
    resolver = _RESOLVERS.get(kind)
    if resolver is None:
        raise NotFound(gettext("no room kind %(kind)s") % {"kind": repr(kind)})
    return resolver(user, str(object_id))
