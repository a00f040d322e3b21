"""Who was in which room when, and the recordings.

Rooms are identified by a key (``"consultation:<uuid>"``, ``"visit:<id>"``) rather than a
foreign key, so that any registered room kind keeps its join/leave record here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Attendance(models.Model):
    """One socket's stay in a room: the join/leave record and the live presence list.

    ``left_at`` is empty until the stay is closed; ``channel_name`` is how other
    processes address this peer through the channel layer. ``lease_until`` is how long
    the stay counts as present without news from its socket: the consumer renews it
    every ``SIGNALING_LEASE_RENEW_SECONDS``, so a stay whose process died (kill -9, power
    loss: nobody ran the leave) drops out of the room when the lease runs out, and the
    first live consumer of the room to notice closes it (signaling.rooms.sweep).
    """

    room_key = models.CharField(max_length=100, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    peer_id = models.CharField(max_length=32, unique=True)
    channel_name = models.CharField(max_length=200)
    role = models.CharField(max_length=30)
    display_name = models.CharField(max_length=100)
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)
    # Null only on rows written before leases existed: those count as expired.
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("room attendance")
        verbose_name_plural = _("room attendances")
        ordering = ["joined_at", "id"]
        indexes = [models.Index(fields=["room_key", "left_at"])]

    def __str__(self) -> str:
        return f"{self.display_name} in {self.room_key}"


class Recording(models.Model):
    """An encrypted recording of one participant in a room (AES-GCM envelope on disk).

    Keyed by the room like Attendance, so signaling needs no workflow's model.
    """

    room_key = models.CharField(max_length=100, db_index=True)
    path = models.CharField(max_length=500)
    media_type = models.CharField(max_length=50, default="video/x-matroska")
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"recording of {self.room_key} ({self.size} bytes)"
