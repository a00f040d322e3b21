"""API tokens for programs and one-time tickets for WebSockets; only digests are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from cloudhospital.security.models import ApiToken, Ticket


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_api_token(user, name: str = "") -> tuple[ApiToken, str]:
    """Make a token; the raw value is returned once and never stored."""
    raw = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], digest=_digest(raw))
    return token, raw


def user_for_api_token(raw: str):
    """The active user behind a bearer token, or None."""
    if not raw or len(raw) > 200:
        return None
    token = (ApiToken.objects.select_related("user")
             .filter(digest=_digest(raw), revoked_at__isnull=True).first())
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def revoke_api_token(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def issue_ticket(user, room: str) -> str:
    raw = secrets.token_urlsafe(32)
    Ticket.objects.create(digest=_digest(raw), user=user, room=room,
                          expires_at=timezone.now() + timedelta(
                              seconds=settings.SIGNALING_TICKET_SECONDS))
    return raw


def redeem_ticket(raw: str, room: str):
    """The ticket's user if it is valid for ``room``, unexpired and unused; it is used up.

    The conditional UPDATE makes single use hold under concurrency: only one redeemer
    changes the row.
    """
    if not raw or len(raw) > 200:
        return None
    now = timezone.now()
    claimed = Ticket.objects.filter(digest=_digest(raw), room=room, used_at__isnull=True,
                                    expires_at__gt=now).update(used_at=now)
    if claimed != 1:
        return None
    return Ticket.objects.select_related("user").get(digest=_digest(raw)).user
