"""The one way the core tells live clients something: a group message sent on commit.

Only actions call this. Sending after commit means nobody hears of a change that was
rolled back.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def send_event_on_commit(group: str, event: dict) -> None:
    """Queue ``event`` (a dict with a dotted ``type`` handled by consumers) for ``group``."""

    def _send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, event)

    transaction.on_commit(_send)
