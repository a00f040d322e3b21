"""Staff sessions end: after STAFF_SESSION_IDLE_SECONDS idle, and STAFF_SESSION_MAX_SECONDS
after login however active.

A clinic computer is shared and left logged in; a doctor's session opens every patient of
the institution. Patients keep Django's ordinary cookie age. The times live in the session
(server side), so a client cannot extend them; bearer-token API calls have no session and
are not affected (tokens are revoked instead).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from cloudhospital.security import audit

STARTED = "_ch_started"
SEEN = "_ch_seen"
# Write "seen" at most this often: a session save per request would cost a write each time.
SEEN_RESOLUTION_SECONDS = 30


def is_staff_user(user) -> bool:
    """Anyone who works here: admin staff, or a member of an institution (clinics.Staff)."""
    return bool(user.is_staff or user.is_superuser or hasattr(user, "staff"))


def expired(session, now: float) -> str | None:
    started, seen = session.get(STARTED), session.get(SEEN)
    if started is not None and now - started > settings.STAFF_SESSION_MAX_SECONDS:
        return "max_lifetime"
    if seen is not None and now - seen > settings.STAFF_SESSION_IDLE_SECONDS:
        return "idle"
    return None


@receiver(user_logged_in)
def _stamp_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED] = now
        request.session[SEEN] = now


class StaffSessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and is_staff_user(user):
            now = int(time.time())
            reason = expired(request.session, now)
            if reason:
                audit.record(user, "session.expired", object_type="auth.user",
                             object_id=str(user.pk), request=request, reason=reason)
                logout(request)  # the request goes on as anonymous: login pages, 401s
            else:
                request.session.setdefault(STARTED, now)
                if now - request.session.get(SEEN, 0) >= SEEN_RESOLUTION_SECONDS:
                    request.session[SEEN] = now
        return self.get_response(request)
