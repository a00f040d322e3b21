"""Who may open a WebSocket: browsers from our own pages, and programs holding a ticket.

A browser always sends ``Origin`` with a WebSocket handshake, so a page on another site
(cross-site WebSocket hijacking with the victim's cookies) is told apart by it: it must be
one of ALLOWED_HOSTS. A program that sends no Origin at all (the clinic room device, the
recorder, any client written from docs/signaling.md) cannot carry a browser's cookies, so
it is admitted to the handshake and authenticated by its ticket alone, like any API client.
"""

from __future__ import annotations

from channels.security.websocket import OriginValidator
from django.conf import settings


class BrowserOriginValidator(OriginValidator):
    """Channels' OriginValidator, except that a handshake without Origin is let through."""

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not any(
                name.lower() == b"origin" for name, _ in scope.get("headers") or ()):
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)


def origin_checked(application):
    return BrowserOriginValidator(application, list(settings.ALLOWED_HOSTS))
