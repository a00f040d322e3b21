"""``POST /api/v1/<kind>s/{id}/signaling-ticket``: a one-time ticket to open the socket.

Browsers cannot put a bearer token or reliably a cookie on a WebSocket from every
client, so the socket is opened with a short-lived single-use ticket bound to one room
and one user (session or bearer auth here, see cloudhospital/api.py).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext
from ninja import Router, Schema

from cloudhospital.core.errors import Conflict
from cloudhospital.security import audit
from cloudhospital.security.tokens import issue_ticket
from signaling import rooms

router = Router(tags=["live rooms"])


class ErrorOut(Schema):
    error: str
    message: str


class TicketOut(Schema):
    ticket: str
    expires_in: int
    room: str
    ws_path: str


ANSWERS = {200: TicketOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def ticket_for(request, kind: str, object_id: str) -> dict:
    room = rooms.resolve(kind, request.user, object_id)
    if not room.open:
        raise Conflict(gettext("the room is not open for joining now"))
    raw = issue_ticket(request.user, room.key)
    audit.record(request.user, "room.ticket", room.audit_object, request=request,
                 object_type="" if room.audit_object is not None else f"room.{kind}",
                 object_id=object_id, room=room.key)
    return {"ticket": raw, "expires_in": settings.SIGNALING_TICKET_SECONDS, "room": room.key,
            "ws_path": f"/ws/{kind}s/{object_id}/signal/"}


@router.post("/{kind}s/{object_id}/signaling-ticket", response=ANSWERS)
def signaling_ticket(request, kind: str, object_id: str):
    """A ticket for the room of any registered kind (``consultations``, ``visits``, ...)."""
    return ticket_for(request, kind, object_id)
