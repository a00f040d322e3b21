"""Tell people when a consultation moves: in-app (live) and by SMS, once, through the queue.

request sent → the invited specialist (or every specialist of the invited department);
accepted, declined, scheduled, rescheduled, report signed → the requesting clinic doctor;
15 minutes before the scheduled time → both doctors. The receivers run inside the action's
transaction and only enqueue; each job delivers through ``notify_person`` with a dedupe key,
so a retried job tells nobody twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.consultations import signals
from clinics.consultations.models import Consultation, Report, Status
from clinics.followups import notify
from clinics.models import Role, Staff
from cloudhospital.core import jobs
from cloudhospital.core.display import when

REMIND_BEFORE = dt.timedelta(minutes=15)
ANNOUNCED = {Status.REQUESTED, Status.ACCEPTED, Status.DECLINED, Status.SCHEDULED}


def on_consultation_moved(sender: object, consultation: Consultation, **kwargs: Any) -> None:
    if consultation.status not in ANNOUNCED:
        return
    stamp = consultation.scheduled_at.isoformat() if consultation.scheduled_at else ""
    notify_consultation.enqueue(str(consultation.pk), str(consultation.status), stamp)
    if consultation.status == Status.SCHEDULED and consultation.scheduled_at is not None:
        remind_at = max(consultation.scheduled_at - REMIND_BEFORE, timezone.now())
        remind_consultation.using(run_after=remind_at).enqueue(str(consultation.pk), stamp)


def on_report_signed(sender: object, report: Report, **kwargs: Any) -> None:
    notify_consultation.enqueue(str(report.consultation_id), "report_signed", str(report.version))


def connect_signals() -> None:
    signals.consultation_moved.connect(on_consultation_moved,
                                       dispatch_uid="consultations.notify_moved")
    signals.report_signed.connect(on_report_signed, dispatch_uid="consultations.notify_signed")


def _recipients(consultation: Consultation, kind: str) -> list[Staff]:
    if kind == Status.REQUESTED:
        if consultation.specialist is not None:
            return [consultation.specialist]
        return list(Staff.objects.filter(role=Role.SPECIALIST,
                                         department=consultation.invited_department_id,
                                         institution=consultation.invited_institution_id)
                    .select_related("user"))
    return [consultation.requested_by]


def _message(consultation: Consultation, kind: str, rescheduled: bool) -> tuple[str, str]:
    who = {"patient": consultation.patient.name,
           "from": str(consultation.inviting_institution),
           "specialist": consultation.specialist.real_name if consultation.specialist else "",
           "time": when(consultation.scheduled_at)}
    if kind == Status.REQUESTED:
        return _("New consultation request"), _(
            "%(from)s asks for a remote consultation for %(patient)s.") % who
    if kind == Status.ACCEPTED:
        return _("Consultation accepted"), _(
            "%(specialist)s accepted the consultation for %(patient)s.") % who
    if kind == Status.DECLINED:
        return _("Consultation declined"), _(
            "The consultation for %(patient)s was declined.") % who
    if kind == Status.SCHEDULED and rescheduled:
        return _("Consultation rescheduled"), _(
            "The consultation for %(patient)s now takes place at %(time)s.") % who
    if kind == Status.SCHEDULED:
        return _("Consultation scheduled"), _(
            "The consultation for %(patient)s takes place at %(time)s.") % who
    return _("Report signed"), _(
        "%(specialist)s signed the report of the consultation for %(patient)s.") % who


@jobs.job(queue_name="reminders")
def notify_consultation(consultation_id: str, kind: str, stamp: str) -> str:
    """One workflow event to its recipients; ``stamp`` (the scheduled time or the report
    version) makes each schedule, reschedule and signed version its own message."""
    consultation = (Consultation.objects.select_related(
        "patient", "specialist", "requested_by__user", "inviting_institution")
        .filter(pk=consultation_id).first())
    if consultation is None:
        return "skipped"
    # ``data`` is encrypted (no SQL on it): the dedupe key names consultation, kind and stamp.
    earlier = f"consultation:{consultation_id}:{Status.SCHEDULED}:"
    rescheduled = kind == Status.SCHEDULED and notify.Notification.objects.filter(
        kind="consultation.scheduled", dedupe_key__startswith=earlier).exclude(
        dedupe_key__startswith=f"{earlier}{stamp}:").exists()
    title, body = _message(consultation, kind, rescheduled)
    url = reverse("consultations:consultation_detail", args=[consultation.pk])
    sent = 0
    for staff in _recipients(consultation, kind):
        sent += notify.notify_person(
            staff.user, kind=f"consultation.{kind}", title=title, body=body, url=url,
            dedupe_key=f"consultation:{consultation_id}:{kind}:{stamp}:{staff.user_id}",
            data={"consultation": consultation_id, "stamp": stamp}) is not None
    return f"sent {sent}"


@jobs.job(queue_name="reminders")
def remind_consultation(consultation_id: str, stamp: str) -> str:
    """15 minutes before: both doctors, unless the time moved or the consultation ended."""
    consultation = (Consultation.objects.select_related("patient", "specialist__user",
                                                        "requested_by__user")
                    .filter(pk=consultation_id).first())
    if (consultation is None or consultation.status != Status.SCHEDULED
            or consultation.scheduled_at is None
            or consultation.scheduled_at.isoformat() != stamp):
        return "skipped"
    url = reverse("consultations:consultation_detail", args=[consultation.pk])
    body = _("The consultation for %(patient)s starts at %(time)s.") % {
        "patient": consultation.patient.name, "time": when(consultation.scheduled_at)}
    sent = 0
    for staff in (consultation.requested_by, consultation.specialist):
        if staff is None:
            continue
        sent += notify.notify_person(
            staff.user, kind="consultation.reminder", title=_("Consultation in 15 minutes"),
            body=body, url=url, data={"consultation": consultation_id, "stamp": stamp},
            dedupe_key=f"consultation:{consultation_id}:reminder:{stamp}:{staff.user_id}",
        ) is not None
    return f"sent {sent}"
