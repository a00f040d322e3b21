"""The ICE server list handed to peers, with TURN REST API credentials.

coturn's ``use-auth-secret`` mode (the "TURN REST API" draft) accepts a username
``"<unix expiry>:<user>"`` and a password ``base64(HMAC-SHA1(secret, username))``, so the
server can check a credential without a database and it stops working at expiry. See
deploy/coturn/turnserver.conf for the matching server side.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.conf import settings


def turn_credential(user_label: str, *, secret: str, lifetime: int,
                    now: float | None = None) -> tuple[str, str]:
    expiry = int((time.time() if now is None else now) + lifetime)
    username = f"{expiry}:{user_label}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers(user_label: str) -> list[dict]:
    """RTCIceServer dicts for the browser and aiortc: STUN, then TURN when configured."""
    servers: list[dict] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        username, password = turn_credential(
            user_label, secret=settings.TURN_SECRET, lifetime=settings.TURN_CREDENTIAL_SECONDS)
        servers.append({"urls": list(settings.TURN_URLS), "username": username,
                        "credential": password})
    return servers
