"""The navbar's notification centre: the person's latest notifications and unread count.

Rendered into every page by base.html; cloudhospital.js then keeps it live over the
notification socket (``/ws/followups/``, group ``user.<id>``)."""

from __future__ import annotations

from django import template

from clinics.followups.models import Notification

register = template.Library()


@register.simple_tag(takes_context=True)
def notification_centre(context, limit: int = 20) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"items": [], "unread": 0, "last_id": 0}
    mine = Notification.objects.filter(user=user)
    items = list(mine.order_by("-created_at", "-id")[:limit])
    return {"items": items, "unread": mine.filter(read_at__isnull=True).count(),
            "last_id": max((n.pk for n in items), default=0)}
