"""The consultation workflow (远程会诊): each step one function, checked, audited.

Every function takes the acting user first, checks what that user may do, changes the
database in one transaction and writes an audit entry. Entry points (API, pages,
signaling) call these and nothing else changes a consultation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from clinics import signing
from clinics.access import MaybeRequest, User
from clinics.actions import require_licence, require_staff
from clinics.consultations import reports, signals
from clinics.consultations.access import visible_consultations
from clinics.consultations.models import (
    Consent,
    ConsentMethod,
    Consultation,
    Relation,
    Report,
    RetentionError,
    Status,
    Urgency,
)
from clinics.models import Department, Institution, Patient, Role, Staff
from cloudhospital.core import events
from cloudhospital.core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from cloudhospital.core.events import send_event_on_commit
from cloudhospital.security import audit


def list_consultations(user: User, *, status: str | None = None, limit: int = 500,
                       request: MaybeRequest = None) -> list[Consultation]:
    """The consultations ``user`` may see (newest first), the listing audited once here."""
    qs = visible_consultations(user)
    if status is not None:
        qs = qs.filter(status=status)
    items = list(qs[:limit])
    audit.record(user, "consultation.list", object_type="consultations.consultation",
                 object_id="*", request=request, count=len(items))
    return items


def get_consultation(user: User, consultation_id: uuid.UUID | str,
                     *, request: MaybeRequest = None, audit_read: bool = True) -> Consultation:
    """A consultation the user may see (404 otherwise, so its existence does not leak)."""
    consultation = visible_consultations(user).filter(pk=consultation_id).first()
    if consultation is None:
        raise NotFound(gettext("no such consultation"))
    if audit_read:
        audit.record(user, "consultation.read", consultation, request=request)
    return consultation


def _move(consultation: Consultation, to: str) -> Consultation:
    """Lock the row and move it to ``to``, or answer 409 with the current state."""
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not locked.can_transition_to(to):
        raise InvalidTransition(gettext("cannot go from %(status)s to %(to)s") %
                                        {"status": locked.status, "to": to},
                                status=locked.status)
    locked.status = to
    return locked


def participant_user_ids(consultation: Consultation) -> set[int]:
    """Who hears that a consultation moved: both doctors and the patient (with an account)."""
    ids = {consultation.requested_by.user_id, consultation.patient.user_id}
    if consultation.specialist_id is not None:
        ids.add(consultation.specialist.user_id)  # type: ignore[union-attr]
    return {i for i in ids if i is not None}


def _announce(consultation: Consultation) -> None:
    """``consultation.status`` to each participant's user group (the notification socket)."""
    event = events.ConsultationStatus(consultation=str(consultation.pk),
                                      status=consultation.status)
    for user_id in sorted(participant_user_ids(consultation)):
        send_event_on_commit(events.user_group(user_id), event)
    signals.consultation_moved.send(sender=Consultation, consultation=consultation)


# --- the request --------------------------------------------------------------------------

@dataclass
class RequestDetails:
    patient: Patient
    invited_institution: Institution
    reason: str
    clinical_question: str
    record_summary: str
    specialist: Staff | None = None
    department: Department | None = None
    urgency: str = Urgency.ROUTINE
    proposed_times: list[dt.datetime] | None = None


def _check_details(staff: Staff, details: RequestDetails) -> None:
    if details.patient.home_institution_id != staff.institution_id:
        raise NotAllowed(gettext("the patient is not registered at your institution"))
    if details.invited_institution.pk == staff.institution_id:
        raise InvalidInput(gettext("invite another institution"), field="invited_institution")
    if details.specialist is None and details.department is None:
        raise InvalidInput(gettext("address a specialist or a department"), field="specialist")
    if details.specialist is not None and (
            details.specialist.role != Role.SPECIALIST
            or details.specialist.institution_id != details.invited_institution.pk):
        raise InvalidInput(gettext("the specialist does not work at the invited institution"),
                           field="specialist")
    if details.department is not None and (
            details.department.institution_id != details.invited_institution.pk):
        raise InvalidInput(gettext("the department is not at the invited institution"),
                           field="department")
    for field in ("reason", "clinical_question", "record_summary"):
        if not getattr(details, field).strip():
            raise InvalidInput(gettext("%(field)s is required") % {"field": field}, field=field)
    if details.urgency not in Urgency.values:
        raise InvalidInput(gettext("urgency must be routine or urgent"), field="urgency")
    for when in details.proposed_times or []:
        check_clinical_time(when, field="proposed_times")


# Clocks differ a little between the clinic's computer and the server.
CLOCK_SKEW = dt.timedelta(minutes=5)


def check_clinical_time(when: dt.datetime, *, field: str) -> None:
    """A time a consultation is to happen: aware, not past, within the horizon (setting
    CONSULTATION_SCHEDULE_HORIZON_DAYS). Year 9999 was accepted and then every page that
    showed it in Asia/Shanghai overflowed (a 500 for everyone); year 1 at +14:00 overflowed
    on the way to UTC. Aware datetimes compare without conversion, so this never does."""
    if timezone.is_naive(when):
        raise InvalidInput(gettext("the time needs a time zone"), field=field)
    now = timezone.now()
    horizon = settings.CONSULTATION_SCHEDULE_HORIZON_DAYS
    if when < now - CLOCK_SKEW:
        raise InvalidInput(gettext("the time is in the past"), field=field)
    if when > now + dt.timedelta(days=horizon):
        raise InvalidInput(gettext("the time is more than %(n)d days ahead") % {"n": horizon},
                           field=field, limit_days=horizon)


def create_request(user: User, details: RequestDetails,
                   *, request: MaybeRequest = None) -> Consultation:
    """A clinic doctor drafts a consultation request for a patient in front of her."""
    staff = require_staff(user, Role.CLINIC_DOCTOR)
    require_licence(staff)
    _check_details(staff, details)
    with transaction.atomic():
        consultation = Consultation.objects.create(
            patient=details.patient, requested_by=staff, inviting_institution=staff.institution,
            invited_institution=details.invited_institution,
            invited_department=details.department or (
                details.specialist.department if details.specialist else None),
            specialist=details.specialist, reason=details.reason.strip(),
            clinical_question=details.clinical_question.strip(),
            record_summary=details.record_summary.strip(), urgency=details.urgency,
            proposed_times=[t.astimezone(dt.UTC).isoformat()
                            for t in details.proposed_times or []])
        audit.record(user, "consultation.create", consultation, request=request)
    return consultation


def record_consent(user: User, consultation: Consultation, *, signed_by: str, relation: str,
                   signed_at: dt.datetime, method: str, recording_allowed: bool = False,
                   request: MaybeRequest = None) -> Consent:
    """Written informed consent, recorded by the requesting side before sending."""
    staff = require_staff(user, Role.CLINIC_DOCTOR, Role.COORDINATOR)
    if staff.institution_id != consultation.inviting_institution_id:
        raise NotAllowed(gettext("only the inviting institution records consent"))
    if consultation.status != Status.DRAFT:
        raise InvalidTransition(gettext("consent is recorded while the request is a draft"),
                                status=consultation.status)
    if not signed_by.strip():
        raise InvalidInput(gettext("who signed is required"), field="signed_by")
    if relation not in Relation.values:
        raise InvalidInput(gettext("unknown relation"), field="relation")
    if method not in ConsentMethod.values:
        raise InvalidInput(gettext("unknown consent method"), field="method")
    if timezone.is_naive(signed_at) or signed_at > timezone.now() + CLOCK_SKEW:
        raise InvalidInput(gettext("signed_at must be an aware time, not in the future"),
                           field="signed_at")
    if signed_at < timezone.now() - dt.timedelta(days=settings.CONSULTATION_SCHEDULE_HORIZON_DAYS):
        raise InvalidInput(gettext("consent signed that long ago must be signed again"),
                           field="signed_at")
    with transaction.atomic():
        consent, _ = Consent.objects.update_or_create(
            consultation=consultation,
            defaults={"signed_by": signed_by.strip(), "relation": relation,
                      "signed_at": signed_at, "method": method,
                      "recording_allowed": recording_allowed, "recorded_by": staff})
        audit.record(user, "consultation.consent", consultation, request=request,
                     relation=relation, method=method)
    return consent


def submit_request(user: User, consultation: Consultation,
                   *, request: MaybeRequest = None) -> Consultation:
    """draft → requested: only with consent and a licensed requesting doctor."""
    staff = require_staff(user, Role.CLINIC_DOCTOR)
    require_licence(staff)
    if staff.institution_id != consultation.inviting_institution_id:
        raise NotAllowed(gettext("only the inviting institution sends the request"))
    with transaction.atomic():
        locked = _move(consultation, Status.REQUESTED)
        if not Consent.objects.filter(consultation=locked).exists():
            raise InvalidInput(gettext("record the patient's written informed consent first"),
                               field="consent")
        locked.requested_at = timezone.now()
        locked.save(update_fields=["status", "requested_at", "updated_at"])
        audit.record(user, "consultation.submit", locked, request=request)
        _announce(locked)
    return locked


# --- the invited side ---------------------------------------------------------------------

def _require_addressee(user: User, consultation: Consultation) -> Staff:
    staff = require_staff(user, Role.SPECIALIST)
    addressed = (consultation.specialist_id == staff.pk if consultation.specialist_id
                 else consultation.invited_department_id == staff.department_id)
    if not addressed:
        raise NotAllowed(gettext("this consultation is not addressed to you"))
    return staff


def accept(user: User, consultation: Consultation, *, request: MaybeRequest = None) -> Consultation:
    staff = _require_addressee(user, consultation)
    require_licence(staff)
    with transaction.atomic():
        locked = _move(consultation, Status.ACCEPTED)
        locked.specialist = staff
        locked.save(update_fields=["status", "specialist", "updated_at"])
        signing.ensure_signing_key(staff)
        audit.record(user, "consultation.accept", locked, request=request)
        _announce(locked)
    return locked


def decline(user: User, consultation: Consultation,
            *, reason: str, request: MaybeRequest = None) -> Consultation:
    staff = _require_addressee(user, consultation)
    if not reason.strip():
        raise InvalidInput(gettext("a reason is required to decline"), field="reason")
    with transaction.atomic():
        locked = _move(consultation, Status.DECLINED)
        locked.decline_reason = reason.strip()
        locked.specialist = locked.specialist or staff
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "decline_reason", "specialist", "closed_at",
                                   "updated_at"])
        audit.record(user, "consultation.decline", locked, request=request)
        _announce(locked)
    return locked


def schedule(user: User, consultation: Consultation, *, when: dt.datetime,
             request: MaybeRequest = None) -> Consultation:
    """accepted → scheduled (or a reschedule); by the specialist or the invited coordinator."""
    staff = require_staff(user, Role.SPECIALIST, Role.COORDINATOR)
    if staff.role == Role.SPECIALIST and consultation.specialist_id != staff.pk:
        raise NotAllowed(gettext("only the accepting specialist schedules"))
    if staff.role == Role.COORDINATOR and staff.institution_id not in (
            consultation.invited_institution_id, consultation.inviting_institution_id):
        raise NotAllowed(gettext("not your institution's consultation"))
    check_clinical_time(when, field="scheduled_at")
    with transaction.atomic():
        locked = _move(consultation, Status.SCHEDULED)
        locked.scheduled_at = when
        locked.save(update_fields=["status", "scheduled_at", "updated_at"])
        audit.record(user, "consultation.schedule", locked, request=request,
                     scheduled_at=when.isoformat())
        _announce(locked)
    return locked


def _require_participant(user: User, consultation: Consultation) -> Staff:
    staff = require_staff(user, Role.CLINIC_DOCTOR, Role.SPECIALIST)
    if staff.role == Role.SPECIALIST and consultation.specialist_id != staff.pk:
        raise NotAllowed(gettext("you are not this consultation's specialist"))
    if staff.role == Role.CLINIC_DOCTOR and (
            staff.institution_id != consultation.inviting_institution_id):
        raise NotAllowed(gettext("you are not at the inviting institution"))
    return staff


def start(user: User, consultation: Consultation, *, request: MaybeRequest = None) -> Consultation:
    """scheduled → in_progress (by a participant, or when the second party joins the room)."""
    _require_participant(user, consultation)
    with transaction.atomic():
        locked = _move(consultation, Status.IN_PROGRESS)
        locked.started_at = timezone.now()
        locked.save(update_fields=["status", "started_at", "updated_at"])
        audit.record(user, "consultation.start", locked, request=request)
        _announce(locked)
    return locked


def complete(user: User, consultation: Consultation,
             *, request: MaybeRequest = None) -> Consultation:
    """in_progress → completed, once the specialist has signed a report."""
    staff = require_staff(user, Role.SPECIALIST)
    if consultation.specialist_id != staff.pk:
        raise NotAllowed(gettext("only the consultation's specialist completes it"))
    with transaction.atomic():
        locked = _move(consultation, Status.COMPLETED)
        if not locked.reports.filter(signed_at__isnull=False).exists():
            raise InvalidInput(gettext("sign a report before completing"), field="report")
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        audit.record(user, "consultation.complete", locked, request=request)
        _announce(locked)
    return locked


def cancel(user: User, consultation: Consultation,
           *, reason: str, request: MaybeRequest = None) -> Consultation:
    staff = require_staff(user, Role.CLINIC_DOCTOR, Role.COORDINATOR)
    if staff.institution_id != consultation.inviting_institution_id and not (
            staff.role == Role.COORDINATOR
            and staff.institution_id == consultation.invited_institution_id):
        raise NotAllowed(gettext("not your institution's consultation"))
    if not reason.strip():
        raise InvalidInput(gettext("a reason is required to cancel"), field="reason")
    with transaction.atomic():
        locked = _move(consultation, Status.CANCELLED)
        locked.cancel_reason = reason.strip()
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "cancel_reason", "closed_at", "updated_at"])
        audit.record(user, "consultation.cancel", locked, request=request)
        _announce(locked)
    return locked


# --- the report ---------------------------------------------------------------------------

REPORTABLE = {Status.SCHEDULED, Status.IN_PROGRESS, Status.COMPLETED}


def save_report_draft(user: User, consultation: Consultation, *, findings: str, opinion: str,
                      recommendations: str, request: MaybeRequest = None) -> Report:
    """Write or edit the unsigned draft; after a signature this starts an amendment."""
    staff = require_staff(user, Role.SPECIALIST)
    if consultation.specialist_id != staff.pk:
        raise NotAllowed(gettext("only the consultation's specialist writes its report"))
    if not (findings.strip() and opinion.strip()):
        raise InvalidInput(gettext("findings and opinion are required"), field="findings")
    with transaction.atomic():
        locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if locked.status not in REPORTABLE:
            raise InvalidTransition(gettext(
                "a report is written once the consultation is scheduled"),
                                    status=locked.status)
        latest = consultation.reports.order_by("-version").first()
        if latest is not None and not latest.is_signed:
            draft = latest
        else:
            draft = Report(consultation=consultation, author=staff,
                           version=(latest.version + 1) if latest else 1)
        draft.findings, draft.opinion = findings.strip(), opinion.strip()
        draft.recommendations = recommendations.strip()
        draft.save()
        audit.record(user, "report.draft", consultation, request=request,
                     version=draft.version)
    return draft


def sign_report(user: User, consultation: Consultation, *, request: MaybeRequest = None) -> Report:
    """Sign the current draft with the specialist's Ed25519 key; it is immutable after."""
    staff = require_staff(user, Role.SPECIALIST)
    if consultation.specialist_id != staff.pk:
        raise NotAllowed(gettext("only the consultation's specialist signs its report"))
    require_licence(staff)
    with transaction.atomic():
        Consultation.objects.select_for_update().get(pk=consultation.pk)
        draft = consultation.reports.filter(signed_at__isnull=True).order_by("-version").first()
        if draft is None:
            raise InvalidInput(gettext("there is no unsigned draft to sign"), field="report")
        signing.ensure_signing_key(staff)
        draft.signed_at = timezone.now().replace(microsecond=0)
        draft.author = staff
        draft.signer_public_key = bytes(staff.signing_public_key or b"")
        draft.signature = signing.sign(staff, reports.canonical_bytes(draft))
        draft.save()
        audit.record(user, "report.sign", consultation, request=request,
                     version=draft.version)
        signals.report_signed.send(sender=Report, report=draft)
    return draft


def acknowledge_report(user: User, consultation: Consultation,
                       *, request: MaybeRequest = None) -> Consultation:
    """The inviting clinic doctor, who answers for treatment, acknowledges the report."""
    staff = require_staff(user, Role.CLINIC_DOCTOR)
    if staff.institution_id != consultation.inviting_institution_id:
        raise NotAllowed(gettext("only the inviting institution acknowledges the report"))
    if not consultation.reports.filter(signed_at__isnull=False).exists():
        raise InvalidInput(gettext("there is no signed report to acknowledge"), field="report")
    with transaction.atomic():
        consultation.acknowledged_at = timezone.now()
        consultation.acknowledged_by = staff
        consultation.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
        audit.record(user, "report.acknowledge", consultation, request=request)
    return consultation


def verify_report(user: User, consultation: Consultation, version: int,
                  *, request: MaybeRequest = None) -> dict[str, Any]:
    report = consultation.reports.filter(version=version, signed_at__isnull=False).first()
    if report is None:
        raise NotFound(gettext("no signed report with that version"))
    audit.record(user, "report.verify", consultation, request=request, version=version)
    return {"version": version, "valid": reports.verify(report),
            "signed_at": report.signed_at, "signer": report.author.real_name,
            "licence_number": report.author.licence_number}


# --- retention ----------------------------------------------------------------------------

def purge_closed_before(cutoff: dt.datetime, *, actor: object = "system") -> int:
    """Delete closed consultations older than the retention period; refuse anything younger."""
    limit = timezone.now() - dt.timedelta(days=365 * settings.RETENTION_YEARS + 4)
    if cutoff > limit:
        raise RetentionError(
            f"records are kept {settings.RETENTION_YEARS} years: cut-off must be before "
            f"{limit:%Y-%m-%d}")
    doomed = Consultation.objects.filter(closed_at__lt=cutoff, status__in=[
        Status.COMPLETED, Status.DECLINED, Status.CANCELLED])
    count = 0
    with transaction.atomic():
        for consultation in doomed:
            audit.record(actor, "consultation.purge", consultation)
            Report.objects.filter(consultation=consultation).delete()
            Consent.objects.filter(consultation=consultation).delete()
            Consultation.objects.filter(pk=consultation.pk).purge()
            count += 1
    return count


# --- the steps: one table for the API and the pages --------------------------------------

def schedule_at(user: User, consultation: Consultation, *, scheduled_at: dt.datetime,
                request: MaybeRequest = None) -> Consultation:
    """:func:`schedule` with the input named as the API and the form name it."""
    return schedule(user, consultation, when=scheduled_at, request=request)


# Each step takes (user, consultation, *, request, **inputs); the API's schemas and the
# pages' forms name the same inputs. Which moves are legal is TRANSITIONS (models.py).
STEPS: dict[str, Callable[..., Any]] = {
    "consent": record_consent,
    "submit": submit_request,
    "accept": accept,
    "decline": decline,
    "schedule": schedule_at,
    "start": start,
    "complete": complete,
    "cancel": cancel,
    "sign": sign_report,
    "acknowledge": acknowledge_report,
}


def take_step(user: User, consultation: Consultation, step: str,
              *, request: MaybeRequest = None, **inputs: Any) -> Any:
    """Run one named workflow step (NotFound for a step that does not exist)."""
    run = STEPS.get(step)
    if run is None:
        raise NotFound(gettext("no such step"))
    return run(user, consultation, request=request, **inputs)
