"""The consented recorder, launched as a task on the ``recordings`` queue.

Signaling enqueues it when a room's descriptor says recording is consented now
(``RoomDescriptor.record_when``, decided by the workflow); the task joins the room as the
recorder service account and records until the others have left. A recording runs as
long as the call, so it has a queue of its own: ``runplatform`` gives it a worker of its
own and the general worker excludes it, so reminders never wait behind a call.
"""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings
from django.core.cache import cache
from django.tasks import task

from signaling import recorder
from signaling.media import loopback_only

log = logging.getLogger(__name__)
QUEUE = "recordings"


def launch_recorder(room_key: str, server_url: str) -> bool:
    """Enqueue the recorder for the room unless one was enqueued in the last minute.

    ``cache.add`` is atomic, and the cache is Redis whenever several daphnes share a
    channel layer, so two processes admitting the second party at once start one recorder.
    """
    if not cache.add(f"signaling:recorder-launch:{room_key}", 1, timeout=60):
        return False
    record_room.enqueue(room_key, server_url)
    log.info("recorder enqueued for room %s", room_key)
    return True


@task(queue_name=QUEUE)
def record_room(room_key: str, server_url: str) -> int:
    """Join ``room_key`` on ``server_url`` as the recorder; returns the files stored."""
    loopback = settings.RECORDER_LOOPBACK_ONLY
    if loopback:
        loopback_only()
    return asyncio.run(recorder.record(server_url, room_key, loopback=loopback))
