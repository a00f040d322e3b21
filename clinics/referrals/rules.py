"""The referral rules in one readable place (each has a test in tests/referrals).

Hierarchical care (分级诊疗): a referral goes **up** from a grassroots centre to a hospital
(secondary or tertiary) and **down** from a hospital to a grassroots centre; never
sideways. An urgent upward referral is the green channel (绿色通道): it heads the
receiving worklists and must be answered within REFERRAL_URGENT_ANSWER_HOURS.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _

from clinics.consultations.models import Urgency
from clinics.models import Institution
from clinics.referrals.choices import AppointmentKind, Direction

# A little slack for clocks and form filling: "now" is not "in the past".
PAST_TOLERANCE = dt.timedelta(minutes=5)
MAX_TEXT = 20000
MAX_SHORT = 200


def direction_allowed(direction: str, sender: Institution, receiver: Institution) -> str | None:
    """Why ``sender`` may not refer ``direction`` to ``receiver`` (None when it may)."""
    if sender.pk == receiver.pk:
        return _("refer to another institution")
    if direction == Direction.UP:
        if not sender.is_grassroots:
            return _("only a grassroots centre refers a patient upward")
        if receiver.is_grassroots:
            return _("an upward referral goes to a hospital, not to a grassroots centre")
    elif direction == Direction.DOWN:
        if sender.is_grassroots:
            return _("only a hospital refers a patient downward")
        if not receiver.is_grassroots:
            return _("a downward referral goes to a grassroots centre, not to a hospital")
    else:
        return _("direction must be up or down")
    return None


def answer_due_at(direction: str, urgency: str, requested_at: dt.datetime) -> dt.datetime | None:
    """The green channel's answer deadline; routine and downward referrals have none."""
    if direction == Direction.UP and urgency == Urgency.URGENT:
        return requested_at + dt.timedelta(hours=settings.REFERRAL_URGENT_ANSWER_HOURS)
    return None


def is_in_the_past(when: dt.datetime, now: dt.datetime) -> bool:
    return when < now - PAST_TOLERANCE


def what_to_bring(kind: str, extra: str = "") -> str:
    """What the patient brings to the receiving institution (shown on his page and SMS)."""
    items = [_("ID card"), _("medical insurance card"), _("this referral (number or SMS)"),
             _("recent test results and images"), _("the medicines you take now")]
    if kind == AppointmentKind.INPATIENT:
        items.append(_("personal items for a hospital stay"))
    text = _(", ").join(str(i) for i in items)
    return f"{text}; {extra.strip()}" if extra.strip() else text
