"""``POST /api/v1/<kind>s/{id}/signaling-ticket``: a one-time ticket to open the socket.

Browsers cannot put a bearer token or reliably a cookie on a WebSocket from every
client, so the socket is opened with a short-lived single-use ticket bound to one room
and one user (session or bearer auth here, see cloudhospital/api.py).
"""

from __future__ import annotations

from django.conf import settings
from ninja import Router, Schema

from clinics import actions
from cloudhospital.core.apitypes import StrictBool
from cloudhospital.core.errors import Conflict
from cloudhospital.security import audit
from cloudhospital.security.tokens import issue_ticket
from signaling import recorder, rooms
from signaling.consent import set_recording_consent

router = Router(tags=["live consultation"])


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
        raise Conflict("the room is not open for joining now")
    raw = issue_ticket(request.user, room.key)
    audit.record(request.user, "room.ticket", room.audit_object, request=request,
                 object_type="" if room.audit_object is not None else f"room.{kind}",
                 object_id=object_id, room=room.key)
    return {"ticket": raw, "expires_in": settings.SIGNALING_TICKET_SECONDS, "room": room.key,
            "ws_path": f"/ws/{kind}s/{object_id}/signal/"}


@router.post("/consultations/{consultation_id}/signaling-ticket", response=ANSWERS)
def consultation_ticket(request, consultation_id: str):
    return ticket_for(request, "consultation", consultation_id)


@router.post("/visits/{visit_id}/signaling-ticket", response=ANSWERS)
def visit_ticket(request, visit_id: str):
    return ticket_for(request, "visit", visit_id)


class RecordingConsentIn(Schema):
    allowed: StrictBool


class RecordingConsentOut(Schema):
    allowed: bool
    recording_permitted: bool


@router.post("/consultations/{consultation_id}/recording-consent",
             response={200: RecordingConsentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def recording_consent(request, consultation_id: str, payload: RecordingConsentIn):
    """A doctor gives or withdraws their own consent to recording the consultation."""
    consultation = actions.get_consultation(request.user, consultation_id, request=request,
                                            audit_read=False)
    consent = set_recording_consent(request.user, consultation, allowed=payload.allowed,
                                    request=request)
    return {"allowed": consent.allowed,
            "recording_permitted": recorder.recording_permitted(consultation)}
