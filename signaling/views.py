"""The room page (any room kind) and its script; thin over signaling.rooms."""

from __future__ import annotations

import zlib
from functools import lru_cache
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cloudhospital.core.errors import DomainError
from cloudhospital.security import audit
from signaling import rooms

SCRIPT = Path(__file__).resolve().parent / "static" / "signaling" / "room.js"


def room_strings() -> dict[str, str]:
    """Every string room.js shows, translated on the server and handed over as JSON."""
    return {
        "connecting": _("Connecting…"),
        "connected": _("Connected"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "alone": _("The other side is not in the room yet. Please wait."),
        "peer_left": _("%(name)s left the room."),
        "peer_joined": _("%(name)s joined the room."),
        "camera_refused": _("Camera or microphone permission was refused. Others cannot see "
                            "or hear you; allow access in the browser and reload."),
        "no_camera": _("No camera or microphone was found. You can still see and hear others."),
        "not_allowed": _("You may not join this room now."),
        "not_found": _("This room does not exist."),
        "closed": _("The room is not open now."),
        "left": _("You left the room."),
        "mute": _("Mute"), "unmute": _("Unmute"),
        "camera_off": _("Camera off"), "camera_on": _("Camera on"),
        "share": _("Share screen"), "stop_share": _("Stop sharing"),
        "leave": _("Leave"), "rejoin": _("Rejoin"),
        "rtt": _("RTT"), "loss": _("loss"), "quality_good": _("good"),
        "quality_fair": _("fair"), "quality_poor": _("poor"),
        "ice_restart": _("Network changed. Restoring the call…"),
        "you": _("You"),
        "workspace_failed": _("The workspace could not be loaded. Reload the page."),
    }


@login_required
def room(request, kind: str, object_id: str):
    try:
        descriptor = rooms.resolve(kind, request.user, str(object_id))
    except DomainError as exc:
        return render(request, "signaling/refused.html", {"message": exc.message},
                      status=exc.status)
    audit.record(request.user, "room.page", descriptor.audit_object, request=request,
                 object_type="" if descriptor.audit_object is not None else f"room.{kind}",
                 object_id=str(object_id), room=descriptor.key)
    config = {"kind": kind, "object_id": str(object_id), "room": descriptor.key,
              "ticket_url": f"/api/v1/{kind}s/{object_id}/signaling-ticket",
              "open": descriptor.open, "name": descriptor.name, "role": descriptor.role,
              "workspace_url": descriptor.extra.get("workspace_url", "")}
    return render(request, "signaling/room.html", {
        "room": descriptor, "config": config, "strings": room_strings(),
        "script_version": _script()[1]})


@lru_cache(maxsize=1)
def _script() -> tuple[bytes, str]:
    body = SCRIPT.read_bytes()
    return body, format(zlib.crc32(body), "08x")


@require_GET
def room_script(request):
    """room.js served by the app itself, so the page works behind any static set-up."""
    body, version = _script()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400" if request.GET.get("v") == version \
        else "no-cache"
    return response
