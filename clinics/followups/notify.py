"""The one way follow-up tells people something: in-app (live over WebSocket) and SMS.

Every message carries a ``dedupe_key``. The in-app row is unique on that key and the SMS
is written in the same transaction, so a job that is retried after a crash delivers each
message at most once while the job itself runs at least once.

SMS goes through a backend named by FOLLOWUP_SMS_BACKEND. The default,
``LocalSmsBackend``, writes the message to the log and to ``SmsMessage`` (no gateway is
ever called in development or tests). A real gateway adapter implements ``send`` and
passes ``dedupe_key`` as the gateway's idempotency key.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from clinics.followups.models import Notification, NotificationPreference, SmsMessage
from cloudhospital.core import events
from cloudhospital.core.events import send_event_on_commit

log = logging.getLogger(__name__)


class SmsBackend:
    """Interface: deliver ``text`` to the patient's phone once per ``dedupe_key``."""

    def send(self, *, dedupe_key: str, patient, text: str, phone: str = "") -> None:
        """``phone`` addresses someone who is not a patient (a doctor); else patient.phone."""
        raise NotImplementedError


class LocalSmsBackend(SmsBackend):
    """Writes to the log and the ``SmsMessage`` table instead of calling a gateway."""

    def send(self, *, dedupe_key: str, patient, text: str, phone: str = "") -> None:
        phone = phone or (patient.phone if patient is not None else "") or ""
        SmsMessage.objects.get_or_create(dedupe_key=dedupe_key, defaults={
            "patient": patient, "phone_last4": phone[-4:], "body": text,
            "backend": f"{type(self).__module__}.{type(self).__qualname__}"})
        log.info("SMS to ***%s (%s): %s", phone[-4:], dedupe_key, text)


def sms_backend() -> SmsBackend:
    return import_string(settings.FOLLOWUP_SMS_BACKEND)()


def notification_event(n: Notification) -> events.FollowupsNotification:
    return events.FollowupsNotification(id=n.pk, kind=n.kind, title=n.title, body=n.body,
                                        data=n.data, created_at=n.created_at.isoformat())


def notify(user, *, kind: str, dedupe_key: str, title: str, body: str = "",
           data: dict | None = None, patient=None, sms: bool = False) -> Notification | None:
    """Deliver once: returns the new notification, or None if this key was delivered.

    ``user`` may be None (a patient without an account): then only the SMS goes out, and
    the row still guards against sending it twice."""
    if user is None and not (sms and patient is not None and patient.phone):
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                n = Notification.objects.create(
                    user=user, patient=patient, kind=kind, dedupe_key=dedupe_key[:200],
                    title=str(title)[:200], body=str(body), data=data or {})
        except IntegrityError:
            log.info("notification %s already delivered; not sending again", dedupe_key)
            return None
        if user is not None:
            send_event_on_commit(events.user_group(user.pk), notification_event(n))
        if sms and patient is not None and patient.phone:
            sms_backend().send(dedupe_key=dedupe_key[:200], patient=patient,
                               text=sms_text(title, body))
    return n


def sms_text(title: str, body: str) -> str:
    """An SMS as Chinese carriers require it: the sender's signature in 【】 first."""
    signature = gettext("[Shenyang Cloud Hospital]")
    return f"{signature}{title} {body}".strip()


def sms_wanted(user) -> str:
    """The number to text ``user`` at, or "" when they turned SMS off or gave none."""
    pref = NotificationPreference.objects.filter(user=user).first()
    if pref is None or not pref.sms_enabled:
        return ""
    return pref.phone


def notify_person(user, *, kind: str, dedupe_key: str, title: str, body: str = "",
                  url: str = "", data: dict | None = None) -> Notification | None:
    """In-app always (live over the socket), and by SMS with the link when ``user`` wants
    it; once per ``dedupe_key`` like ``notify``."""
    data = {**(data or {}), **({"url": url} if url else {})}
    with transaction.atomic():
        n = notify(user, kind=kind, dedupe_key=dedupe_key, title=title, body=body, data=data)
        phone = sms_wanted(user) if n is not None else ""
        if phone:
            link = f"{settings.PUBLIC_BASE_URL.rstrip('/')}{url}" if url else ""
            sms_backend().send(dedupe_key=dedupe_key[:200], patient=None, phone=phone,
                               text=sms_text(title, f"{body} {link}".strip()))
    return n


def unread(user, limit: int = 20) -> list[Notification]:
    return list(Notification.objects.filter(user=user).order_by("-created_at", "-id")[:limit])
