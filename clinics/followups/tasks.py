"""The follow-up jobs, run by ``manage.py db_worker`` (django.tasks + django-tasks-db).

Each job is at-least-once (see cloudhospital/core/jobs.py) and idempotent in effect:
reminders and offers go through notify.notify with a dedupe key, state changes are
conditional updates, and the next visit is guarded by the ``one_open_visit_per_plan`` constraint.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.followups import booking, notify, rules, schedules, signals, visits
from clinics.followups.models import (
    FollowUpPlan,
    PlanStatus,
    ScheduleTemplate,
    Visit,
    VisitStatus,
)
from clinics.models import Staff
from cloudhospital.core import jobs

log = logging.getLogger(__name__)


def schedule_visit_jobs(visit: Visit, now: dt.datetime) -> None:
    """Enqueue the reminders and the no-show check of a booked visit (inside the booking
    transaction, so they exist exactly when the booking does). Jobs of an earlier slot
    find the visit moved and do nothing."""
    start = visit.slot.start
    for kind, when in rules.reminder_times(start, now):
        send_reminder.using(run_after=max(when, now)).enqueue(
            visit.pk, kind, start.isoformat())
    mark_no_show.using(run_after=rules.no_show_at(start)).enqueue(visit.pk, visit.slot_id)


def on_visit_booked(sender, visit: Visit, now: dt.datetime, **kwargs) -> None:
    schedule_visit_jobs(visit, now)


def on_visit_completed(sender, visit: Visit, out_of_target: bool, **kwargs) -> None:
    """Create the next visit from the rules; alert the doctor when out of target."""
    create_next_visit.enqueue(visit.pk)
    if out_of_target:
        notify_out_of_target.enqueue(visit.pk)


def connect_signals() -> None:
    signals.visit_booked.connect(on_visit_booked, dispatch_uid="followups.visit_booked")
    signals.visit_completed.connect(on_visit_completed,
                                    dispatch_uid="followups.visit_completed")


@jobs.job(queue_name="reminders")
def send_reminder(visit_id: int, kind: str, slot_start: str) -> str:
    """Remind the patient (in-app and SMS) of a visit; at most once per visit, kind and
    slot time, however often the job runs."""
    visit = Visit.objects.select_related("slot", "patient", "doctor").filter(pk=visit_id).first()
    if (visit is None or visit.status != VisitStatus.BOOKED
            or visit.slot.start.isoformat() != slot_start):
        return "skipped"
    local = timezone.localtime(visit.slot.start)
    sent = notify.notify(
        visit.patient.user, kind="reminder", patient=visit.patient, sms=True,
        dedupe_key=f"reminder:{visit.pk}:{kind}:{slot_start}",
        title=_("Follow-up reminder"),
        body=_("Your online follow-up with Dr %(doctor)s starts at %(time)s. Check in online "
               "up to 30 minutes before.") % {"doctor": visit.doctor.real_name,
                                              "time": f"{local:%m-%d %H:%M}"},
        data={"visit_id": visit.pk, "reminder": kind, "start": slot_start})
    return "sent" if sent else "already sent"


@jobs.job(queue_name="reminders")
def mark_no_show(visit_id: int, slot_id: int) -> str:
    visit = visits.mark_no_show(visit_id, slot_id)
    return "no_show" if visit else "skipped"


@jobs.job()
def create_next_visit(visit_id: int) -> int | None:
    """After a completed visit, the plan's next (due) visit exists; its date comes from
    the rules, already applied to the plan when the visit was completed."""
    visit = Visit.objects.select_related("plan").get(pk=visit_id)
    if visit.status != VisitStatus.COMPLETED or visit.plan.status != PlanStatus.ACTIVE:
        return None
    with transaction.atomic():
        nxt = booking.ensure_due_visit(visit.plan)
        patient = visit.plan.patient
        notify.notify(patient.user, kind="next_visit", patient=patient,
                      dedupe_key=f"next_visit:{visit.pk}",
                      title=_("Next follow-up"),
                      body=_("Please book your next follow-up around %(date)s.")
                      % {"date": f"{nxt.due_on:%Y-%m-%d}"},
                      data={"visit_id": nxt.pk, "due_on": nxt.due_on.isoformat()})
    return nxt.pk


@jobs.job()
def notify_out_of_target(visit_id: int) -> str:
    """Tell the responsible doctor that a visit's readings were out of target."""
    visit = Visit.objects.select_related("plan__doctor__user", "patient").get(pk=visit_id)
    if not visit.out_of_target:
        return "in target"
    reasons = rules.out_of_target_reasons(visits.readings_of(visit))
    parts = []
    if visit.systolic or visit.diastolic:
        parts.append(_("blood pressure %(bp)s mmHg") % {
            "bp": f"{visit.systolic}/{visit.diastolic}"})
    if visit.glucose is not None:
        parts.append(_("fasting glucose %(glucose)s mmol/L") % {"glucose": visit.glucose})
    sent = notify.notify(
        visit.plan.doctor.user, kind="out_of_target", dedupe_key=f"out_of_target:{visit.pk}",
        title=_("%(patient)s: follow-up readings out of target") % {
            "patient": visit.patient.name}, body="; ".join(parts),
        data={"visit_id": visit.pk, "reasons": reasons,
              "next_due_on": visit.plan.next_due_on.isoformat()})
    return "sent" if sent else "already sent"


def scan_once(today: dt.date | None = None) -> dict:
    """One pass of the periodic scan: recover lost jobs, publish slots, and give every
    plan that is due (within the booking horizon) an open visit and a nudge to book."""
    recovered = jobs.recover_lost_jobs()
    today = today or timezone.localdate()
    published = 0
    doctor_ids = ScheduleTemplate.objects.filter(active=True).values_list("doctor_id",
                                                                          flat=True)
    for doctor in Staff.objects.filter(pk__in=set(doctor_ids)):
        published += schedules.publish_slots(doctor, today=today)
    horizon = today + dt.timedelta(days=settings.FOLLOWUP_SLOT_DAYS_AHEAD)
    due = 0
    for plan in FollowUpPlan.objects.filter(status=PlanStatus.ACTIVE, next_due_on__lte=horizon
                                            ).select_related("patient__user"):
        with transaction.atomic():
            visit = booking.ensure_due_visit(plan)
            if visit.status == VisitStatus.DUE:
                due += 1
                notify.notify(plan.patient.user, kind="due", patient=plan.patient,
                              dedupe_key=f"due:{visit.pk}", title=_("Follow-up due"),
                              body=_("Your %(condition)s follow-up is due on %(date)s; please "
                                     "book it online.") % {
                                  "condition": plan.condition,
                                  "date": f"{visit.due_on:%Y-%m-%d}"},
                              data={"visit_id": visit.pk})
    return {"recovered": len(recovered), "slots_created": published, "due": due}


@jobs.job()
def periodic_scan() -> dict:
    """The periodic job: schedules its own next run first, so a crash mid-scan keeps the
    chain alive (and the duplicate guard keeps it single)."""
    jobs.ensure_scheduled(periodic_scan, dt.timedelta(seconds=settings.FOLLOWUP_SCAN_SECONDS))
    return scan_once()


def start_periodic_jobs() -> None:
    """Make sure the periodic scan is queued (seed_demo and the deploy scripts call this
    through ``manage.py followups_start``)."""
    jobs.ensure_scheduled(periodic_scan, dt.timedelta(seconds=0))
