"""The virtual waiting room and the visit itself: check in, queue, call next, record,
complete, no-show. Every change of a doctor's queue is broadcast on commit.

Queue order: urgent patients first, then appointment time, then check-in time.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.access import staff_of
from clinics.followups import access, booking, notify, rules, signals
from clinics.followups.models import FollowUpPlan, Slot, Visit, VisitStatus
from clinics.models import Staff
from cloudhospital.core import events
from cloudhospital.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cloudhospital.core.events import send_event_on_commit
from cloudhospital.core.rooms import RoomDescriptor
from cloudhospital.security import audit


class TooEarly(Conflict):
    code = "too_early"


class TooLate(Conflict):
    code = "too_late"


def readings_of(visit: Visit) -> rules.Readings:
    return rules.Readings(systolic=visit.systolic, diastolic=visit.diastolic,
                          heart_rate=visit.heart_rate, glucose=visit.glucose,
                          weight=visit.weight)


def last_readings(plan: FollowUpPlan) -> rules.Readings | None:
    last = plan.visits.filter(status=VisitStatus.COMPLETED).order_by("-completed_at").first()
    return readings_of(last) if last else None


def waiting_queue(doctor: Staff) -> list[Visit]:
    """Checked-in visits waiting for ``doctor``, in the order they will be called."""
    return list(Visit.objects.filter(doctor=doctor, status=VisitStatus.CHECKED_IN)
                .select_related("slot", "patient", "plan")
                .order_by("-urgent", "slot__start", "checked_in_at", "pk"))


def _slot_minutes(slot: Slot) -> int:
    return max(int((slot.end - slot.start).total_seconds() // 60), 1)


def position_event(visit: Visit, position: int, now: dt.datetime) -> events.FollowupsPosition:
    """What one waiting patient sees."""
    return events.FollowupsPosition(
        visit_id=visit.pk, position=position, expected_wait_minutes=rules.expected_wait_minutes(
            position, visit.slot.start, now, _slot_minutes(visit.slot)))


def queue_event(doctor: Staff, queue: list[Visit]) -> events.FollowupsQueue:
    """What the doctor sees."""
    return events.FollowupsQueue(doctor_id=doctor.pk, queue=[events.QueueEntry(
        visit_id=v.pk, patient=v.patient.name, condition=v.plan.condition,
        start=v.slot.start.isoformat(), checked_in_at=v.checked_in_at.isoformat(),
        urgent=v.urgent) for v in queue])


def broadcast_queue(doctor: Staff, now: dt.datetime | None = None) -> None:
    """Tell the doctor the queue and every waiting patient their place (on commit)."""
    now = now or timezone.now()
    queue = waiting_queue(doctor)
    send_event_on_commit(events.user_group(doctor.user_id), queue_event(doctor, queue))
    for position, visit in enumerate(queue, start=1):
        if visit.patient.user_id:
            send_event_on_commit(events.user_group(visit.patient.user_id),
                                 position_event(visit, position, now))


def position_of(visit: Visit, now: dt.datetime | None = None) -> dict | None:
    """The live position of a checked-in visit, as sent over the socket."""
    if visit.status != VisitStatus.CHECKED_IN:
        return None
    for position, waiting in enumerate(waiting_queue(visit.doctor), start=1):
        if waiting.pk == visit.pk:
            return position_event(waiting, position, now or timezone.now()).payload()
    return None


def check_in(user, visit_id: int, *, request=None, now: dt.datetime | None = None) -> Visit:
    """The patient checks in online, from 30 minutes before the slot until the no-show
    time; a patient whose last readings were alarming is flagged urgent."""
    now = now or timezone.now()
    with transaction.atomic():
        visit = access.own_visit(user, visit_id)
        if visit.status != VisitStatus.BOOKED:
            raise Conflict(_("only a booked appointment can be checked in"))
        opens, closes = rules.check_in_window(visit.slot.start)
        if now < opens:
            raise TooEarly(_("check-in opens 30 minutes before the appointment"),
                           opens_at=opens.isoformat())
        if now >= closes:
            raise TooLate(_("too late to check in; please book another time"))
        visit.status, visit.checked_in_at = VisitStatus.CHECKED_IN, now
        visit.urgent = visit.urgent or rules.is_urgent(last_readings(visit.plan))
        visit.save(update_fields=["status", "checked_in_at", "urgent"])
        broadcast_queue(visit.doctor, now)
        audit.record(user, "followup.visit.check_in", visit, request=request)
    return visit


def set_urgent(user, visit_id: int, urgent: bool = True, *, request=None) -> Visit:
    doctor = access.require_doctor(user)
    with transaction.atomic():
        visit = Visit.objects.select_for_update().filter(pk=visit_id, doctor=doctor).first()
        if visit is None:
            raise NotFound(_("no such visit in your waiting room"))
        visit.urgent = urgent
        visit.save(update_fields=["urgent"])
        broadcast_queue(doctor)
        audit.record(user, "followup.visit.flag_urgent", visit, request=request, urgent=urgent)
    return visit


def call_next(user, *, request=None, now: dt.datetime | None = None) -> Visit | None:
    """The doctor calls the first waiting patient into the video room."""
    doctor = access.require_doctor(user)
    now = now or timezone.now()
    with transaction.atomic():
        queue = waiting_queue(doctor)
        if not queue:
            return None
        visit = Visit.objects.select_for_update().get(pk=queue[0].pk)
        if visit.status != VisitStatus.CHECKED_IN:  # raced with another call
            raise Conflict(_("the queue changed; call again"))
        visit.status, visit.called_at = VisitStatus.IN_CONSULTATION, now
        visit.save(update_fields=["status", "called_at"])
        event = events.FollowupsCalled(visit_id=visit.pk, room_url=visit.room_url)
        if visit.patient.user_id:
            send_event_on_commit(events.user_group(visit.patient.user_id), event)
        send_event_on_commit(events.user_group(doctor.user_id), event)
        broadcast_queue(doctor, now)
        audit.record(user, "followup.visit.call", visit, request=request)
    return visit


def complete(user, visit_id: int, readings: rules.Readings, note: str = "", *, request=None,
             now: dt.datetime | None = None) -> Visit:
    """Record the readings and note, set the next interval by the rules, and let the
    queue create the next visit (and alert the doctor when out of target)."""
    doctor = access.require_doctor(user)
    now = now or timezone.now()
    if all(getattr(readings, f) is None for f in ("systolic", "diastolic", "glucose")):
        raise InvalidInput(_("record at least the blood pressure or the glucose"))
    rules.check_readings(readings)
    with transaction.atomic():
        visit = (Visit.objects.select_for_update(of=("self",)).select_related("plan", "slot")
                 .filter(pk=visit_id, doctor=doctor).first())
        if visit is None:
            raise NotFound(_("no such visit"))
        if visit.status not in {VisitStatus.IN_CONSULTATION, VisitStatus.CHECKED_IN}:
            raise Conflict(_("only a visit in progress can be completed"))
        reasons = rules.out_of_target_reasons(readings)
        for field in ("systolic", "diastolic", "heart_rate", "glucose", "weight"):
            setattr(visit, field, getattr(readings, field))
        visit.note, visit.out_of_target = note.replace("\x00", ""), bool(reasons)
        visit.status, visit.completed_at = VisitStatus.COMPLETED, now
        visit.save()
        plan = visit.plan
        plan.controlled = not reasons
        plan.next_due_on = timezone.localdate(now) + dt.timedelta(
            days=rules.next_interval_days(bool(reasons), plan.interval_days))
        plan.save(update_fields=["controlled", "next_due_on"])
        signals.visit_completed.send(sender=Visit, visit=visit, out_of_target=bool(reasons))
        broadcast_queue(doctor, now)
        audit.record(user, "followup.visit.complete", visit, request=request,
                     out_of_target=reasons)
    return visit


def mark_no_show(visit_id: int, slot_id: int, now: dt.datetime | None = None) -> Visit | None:
    """A booked visit not checked in by 15 minutes after the start drops out; the plan
    gets a new due visit and the patient is offered the next free slots."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = Visit.objects.filter(pk=visit_id, slot_id=slot_id,
                                       status=VisitStatus.BOOKED).update(
            status=VisitStatus.NO_SHOW)
        visit = Visit.objects.select_related("plan", "patient", "slot").get(pk=visit_id)
        if changed:
            booking.ensure_due_visit(visit.plan)
            audit.record("system", "followup.visit.no_show", visit)
        elif visit.status != VisitStatus.NO_SHOW or visit.slot_id != slot_id:
            return None  # checked in, cancelled or moved: nothing to do
        offer = list(booking.open_slots(visit.patient, now)[:3])
        notify.notify(
            visit.patient.user, kind="no_show", patient=visit.patient, sms=True,
            dedupe_key=f"no_show:{visit.pk}:{slot_id}",
            title=_("You missed your follow-up appointment"),
            body=_("Free times to book: %(times)s") % {"times": ", ".join(
                f"{timezone.localtime(s.start):%m-%d %H:%M}" for s in offer)},
            data={"visit_id": visit.pk, "slots": [
                {"id": s.pk, "start": s.start.isoformat()} for s in offer]})
    return visit


def visit_room(user, object_id: str):
    """Room resolver for ``register_room_kind("visit", ...)`` (cloudhospital/core/rooms.py,
    see its contract): the patient and the visit's doctor may join once the doctor has
    called the patient in; staff who can see the visit but are not in it are refused."""
    visit_id = access.visit_id_of(object_id)
    visit = access.visible_visits(user).filter(pk=visit_id).first()
    if visit is None:
        raise NotFound(_("no such visit"))
    staff = staff_of(user)
    if staff is not None and staff.pk == visit.doctor_id:
        role, name = "doctor", staff.real_name
    elif visit.patient.user_id is not None and visit.patient.user_id == user.pk:
        role, name = "patient", visit.patient.name
    else:
        raise NotAllowed(_("you are not taking part in this visit"))

    return RoomDescriptor(key=f"visit:{visit.pk}", role=role, name=name,
                          open=visit.status == VisitStatus.IN_CONSULTATION,
                          audit_object=visit,
                          extra={"condition": visit.plan.condition})
