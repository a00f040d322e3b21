"""GET /healthz: is the database answering, and does the channel layer carry a message?"""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # any driver error means "down"; report it, never 500
        return f"error: {exc.__class__.__name__}"
    finally:
        connection.close_if_unusable_or_obsolete()


async def _check_channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        return "error: no channel layer configured"
    try:
        channel = await layer.new_channel("healthz.")
        await layer.send(channel, {"type": "healthz.ping"})
        message = await asyncio.wait_for(layer.receive(channel), timeout=2)
        return "ok" if message.get("type") == "healthz.ping" else "error: wrong message"
    except Exception as exc:  # connection refused, timeout: the layer is down
        return f"error: {exc.__class__.__name__}"


async def healthz(request):
    database = await sync_to_async(_check_database, thread_sensitive=True)()
    layer = await _check_channel_layer()
    healthy = database == "ok" and layer == "ok"
    return JsonResponse({"status": "ok" if healthy else "degraded",
                         "database": database, "channel_layer": layer},
                        status=200 if healthy else 503)
