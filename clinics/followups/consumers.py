"""The follow-up socket (``/ws/followups/``): a patient's live place in the waiting room
and in-app notifications; a doctor's live queue. Events come from the core through
``send_event_on_commit`` to the group ``followups.user.<id>``."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

from clinics.access import patient_of, staff_of
from clinics.followups import notify, visits
from clinics.followups.models import Notification, Visit, VisitStatus
from cloudhospital.core import events
from cloudhospital.security import audit

log = logging.getLogger(__name__)
CLOSE_NOT_ALLOWED = 4403
BRIDGE_SECONDS = 2.0


def layer_is_process_local() -> bool:
    """The in-memory channel layer cannot carry events from the task worker process; in
    that (embedded, no Redis) mode the socket catches up on new notifications itself."""
    layer = get_channel_layer()
    return layer is not None and "InMemory" in type(layer).__name__


def _since(scope) -> int | None:
    raw = (parse_qs(scope.get("query_string", b"").decode("latin-1")).get("since") or [""])[0]
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


class FollowupsConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    last_notification_id = 0
    bridge: asyncio.Task | None = None

    async def connect(self):
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.close(CLOSE_NOT_ALLOWED)
        snapshot = await self.snapshot(user)
        if snapshot is None:
            return await self.close(CLOSE_NOT_ALLOWED)
        self.group = events.user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        latest = snapshot.pop("last_notification_id")
        # The page says which notifications it already shows (``?since=<id>``): whatever
        # came between rendering it and this socket opening is sent now, not lost.
        since = _since(self.scope)
        self.last_notification_id = latest if since is None else min(since, latest)
        await self.send_json(snapshot)
        for event in await self.new_notifications(user):
            await self.followups_notification(event)
        if layer_is_process_local():
            self.bridge = asyncio.create_task(self.catch_up_loop(user))

    async def disconnect(self, code):
        if self.bridge is not None:
            self.bridge.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json(events.Pong().payload())
        else:
            await self.send_json({"type": "error", "error": "invalid_input",
                                  "message": "this socket only accepts ping"})

    # --- group events (type "followups.x" is handled by followups_x) -----------------
    async def followups_notification(self, event):
        self.last_notification_id = max(self.last_notification_id, event["id"])
        await self.send_json(event)

    async def followups_position(self, event):
        await self.send_json(event)

    async def followups_queue(self, event):
        await self.send_json(event)

    async def followups_called(self, event):
        await self.send_json(event)

    async def consultation_status(self, event):
        """A consultation this person takes part in moved (cloudhospital/core/events.py)."""
        await self.send_json(event)

    # --- database work ------------------------------------------------------------------
    @database_sync_to_async
    def snapshot(self, user) -> dict | None:
        """What the page shows on (re)connect: the queue, or my waiting position."""
        last = (Notification.objects.filter(user=user).order_by("-id")
                .values_list("id", flat=True).first() or 0)
        staff, patient = staff_of(user), patient_of(user)
        if staff is not None and staff.is_doctor:
            queue = visits.waiting_queue(staff)
            audit.record(user, "followup.queue.watch", object_type="followups.visit",
                         object_id="*", count=len(queue))
            event = visits.queue_event(staff, queue).payload()
            return {**event, "type": "followups.snapshot", "last_notification_id": last}
        if patient is not None:
            waiting = Visit.objects.filter(patient=patient, status=VisitStatus.CHECKED_IN).first()
            position = visits.position_of(waiting) if waiting else None
            audit.record(user, "followup.waiting.watch", object_type="followups.visit",
                         object_id="*", patient_id=patient.pk)
            called = Visit.objects.filter(patient=patient,
                                          status=VisitStatus.IN_CONSULTATION).first()
            return {"type": "followups.snapshot", "position": position,
                    "called": {"visit_id": called.pk, "room_url": called.room_url}
                    if called else None, "last_notification_id": last}
        return None

    @database_sync_to_async
    def new_notifications(self, user) -> list[dict]:
        return [notify.notification_event(n).payload() for n in Notification.objects.filter(
            user=user, id__gt=self.last_notification_id).order_by("id")[:50]]

    async def catch_up_loop(self, user):
        while True:
            await asyncio.sleep(BRIDGE_SECONDS)
            for event in await self.new_notifications(user):
                await self.followups_notification(event)
