"""Referral jobs on the task queue (django.tasks + django-tasks-db, run by db_worker).

Each job is at-least-once (see cloudhospital.core.jobs) and idempotent in effect: every
message goes through ``notify.notify`` with a dedupe key, written in the same
transaction as the rest of the job's effect, so a job retried after a killed worker
delivers nothing twice.

- ``escalate_unanswered``: the green channel. An urgent upward referral still waiting for
  an answer at its deadline is escalated to the receiving institution's coordinator(s),
  once each.
- ``tell_patient_accepted``: the patient hears (in-app and SMS) that his referral was
  accepted, when and where to go and what to bring.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.followups import notify
from clinics.models import Role, Staff
from clinics.referrals.models import Referral, ReferralStatus
from cloudhospital.core.jobs import job
from cloudhospital.security import audit


def schedule_escalation(referral: Referral) -> None:
    """Queue the deadline check (inside the sending transaction: it exists exactly when
    the referral is sent). The deadline travels with the job, so a stale one is inert."""
    escalate_unanswered.using(run_after=referral.answer_due_at).enqueue(
        str(referral.pk), cast(dt.datetime, referral.answer_due_at).isoformat())


def escalation_key(referral: Referral, coordinator: Staff) -> str:
    return f"referral.escalate:{referral.pk}:{coordinator.pk}"


@job(queue_name="reminders")  # type: ignore[untyped-decorator]  # core.jobs is untyped
def escalate_unanswered(referral_id: str, answer_due_at: str) -> str:
    """Alert the receiving coordinator(s) that an urgent referral is unanswered."""
    with transaction.atomic():
        referral = (Referral.objects.select_for_update(of=("self",))
                    .select_related("patient", "from_institution", "to_institution")
                    .filter(pk=referral_id).first())
        if (referral is None or referral.status != ReferralStatus.REQUESTED
                or referral.answer_due_at is None
                or referral.answer_due_at.isoformat() != answer_due_at):
            return "skipped"
        coordinators = list(Staff.objects.filter(
            institution=referral.to_institution_id, role=Role.COORDINATOR)
            .select_related("user").order_by("pk"))
        due = timezone.localtime(referral.answer_due_at)
        sent = 0
        for coordinator in coordinators:
            if notify.notify(
                    coordinator.user, kind="referral_escalation",
                    dedupe_key=escalation_key(referral, coordinator),
                    title=_("Green channel: urgent referral unanswered"),
                    body=_("The urgent referral of %(patient)s from %(centre)s was due for "
                           "an answer by %(time)s. Please arrange it now.")
                    % {"patient": referral.patient.name,
                       "centre": referral.from_institution.name,
                       "time": f"{due:%m-%d %H:%M}"},
                    data={"referral_id": str(referral.pk), "url": f"/referrals/{referral.pk}/"}):
                sent += 1
        if referral.escalated_at is None:
            Referral.objects.filter(pk=referral.pk).update(escalated_at=timezone.now())
            audit.record("system", "referral.escalate", referral,
                         coordinators=[c.pk for c in coordinators])
    if not coordinators:
        return "no coordinator"
    return "sent" if sent else "already sent"


@job(queue_name="reminders")  # type: ignore[untyped-decorator]  # core.jobs is untyped
def tell_patient_accepted(referral_id: str) -> str:
    """In-app and SMS to the patient, once per referral."""
    referral = (Referral.objects.select_related("patient__user", "to_institution")
                .filter(pk=referral_id).first())
    if referral is None or referral.accepted_at is None:
        return "skipped"
    if referral.appointment_at:
        when = f"{timezone.localtime(referral.appointment_at):%Y-%m-%d %H:%M}"
    else:
        when = _("please book your follow-up online")
    place = " ".join(p for p in [referral.to_institution.name, referral.ward,
                                 referral.location] if p)
    sent = notify.notify(
        referral.patient.user, kind="referral_accepted", patient=referral.patient, sms=True,
        dedupe_key=f"referral.accepted:{referral.pk}",
        title=_("Your referral was accepted"),
        body=_("%(place)s, %(when)s. Please bring: %(bring)s.")
        % {"place": place, "when": when, "bring": referral.what_to_bring},
        data={"referral_id": str(referral.pk), "url": f"/referrals/{referral.pk}/"})
    return "sent" if sent else "already sent"
