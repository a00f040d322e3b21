"""The referral workflow (双向转诊): each step one function, checked, locked, audited.

Every function takes the acting user first, checks what that user may do, locks the
referral row (SELECT ... FOR UPDATE), refuses a wrong move with 409 and the current
status, changes the database in one transaction, writes an audit entry and announces
the new status on commit. Entry points (API, pages) call these and nothing else changes
a referral.

Consent is what sends a referral: ``create_referral`` makes a draft, ``record_consent``
records the patient's (or guardian's) informed consent and moves it to ``requested`` in
the same transaction, so no referral counts as sent without consent.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.access import MaybeRequest, User, staff_of
from clinics.consultations.access import visible_consultations
from clinics.consultations.models import ConsentMethod, Consultation, Relation, Urgency
from clinics.followups import booking
from clinics.followups import rules as followup_rules
from clinics.followups.models import FollowUpPlan, PlanStatus, VisitStatus
from clinics.models import CloudClinic, Department, Diagnosis, Institution, Patient, Role, Staff
from clinics.referrals import rules, tasks
from clinics.referrals.access import is_receiver, is_sender, visible_referrals
from clinics.referrals.models import (
    AppointmentKind,
    Direction,
    Referral,
    ReferralConsent,
    ReferralStatus,
)
from cloudhospital.core import events
from cloudhospital.core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from cloudhospital.core.events import send_event_on_commit
from cloudhospital.security import audit

ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")


def get_referral(user: User, referral_id: uuid.UUID | str, *, request: MaybeRequest = None,
                 audit_read: bool = True) -> Referral:
    """A referral the user may see (404 otherwise, so its existence does not leak)."""
    referral = visible_referrals(user).filter(pk=referral_id).first()
    if referral is None:
        raise NotFound(_("no such referral"))
    if audit_read:
        audit.record(user, "referral.read", referral, request=request)
    return referral


# --- checks -------------------------------------------------------------------------------

def _require_staff(user: User) -> Staff:
    staff = staff_of(user)
    if staff is None:
        raise NotAllowed(_("this action is for staff of the institutions involved"))
    return staff


def _require_licence(staff: Staff) -> None:
    if not staff.may_practise:
        raise NotAllowed(_("a verified practising licence number is required (real-name rule)"))


def _text(value: Any, field_name: str, *, required: bool = False,
          limit: int = rules.MAX_TEXT) -> str:
    """Strip, and refuse NUL bytes and oversized text with a 422 naming the field."""
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise InvalidInput(_("%(field)s must be text") % {"field": field_name},
                           field=field_name)
    if "\x00" in value:
        raise InvalidInput(_("%(field)s contains a NUL character") % {"field": field_name},
                           field=field_name)
    if len(value) > limit:
        raise InvalidInput(_("%(field)s is longer than %(limit)s characters")
                           % {"field": field_name, "limit": limit}, field=field_name)
    if required and not value:
        raise InvalidInput(_("%(field)s is required") % {"field": field_name},
                           field=field_name)
    return cast(str, value)


def _aware(when: dt.datetime | None, field_name: str) -> dt.datetime | None:
    if when is None:
        return None
    if timezone.is_naive(when):
        raise InvalidInput(_("the time needs a time zone"), field=field_name)
    if rules.is_in_the_past(when, timezone.now()):
        raise InvalidInput(_("the time is in the past"), field=field_name)
    return when


def _diagnoses(items: Any, field_name: str = "diagnoses") -> list[dict[str, Any]]:
    clean = []
    for item in items or []:
        if not isinstance(item, dict):
            raise InvalidInput(_("each diagnosis has an ICD-10 code and a name"),
                               field=field_name)
        code = _text(item.get("icd10"), field_name, required=True, limit=10).upper()
        if not ICD10.match(code):
            raise InvalidInput(_("%(code)s is not an ICD-10 code") % {"code": code[:10]},
                               field=field_name)
        name = _text(item.get("name"), field_name, required=True, limit=100)
        clean.append({"icd10": code, "name": name})
    if len(clean) > 20:
        raise InvalidInput(_("at most 20 diagnoses"), field=field_name)
    return clean


def _move(referral: Referral, to: str) -> Referral:
    """Lock the row and move it to ``to``, or answer 409 with the current status."""
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if not locked.can_transition_to(to):
        raise InvalidTransition(
            _("cannot go from %(current)s to %(target)s") % {"current": locked.status,
                                                             "target": to},
            status=locked.status)
    locked.status = to
    return locked


def participant_user_ids(referral: Referral) -> set[int]:
    """Who hears that a referral moved: the referring doctor, the receiving doctor (named
    or the one who accepted) and the patient (with an account)."""
    staff = [referral.requested_by, referral.to_doctor, referral.accepted_by]
    ids = {s.user_id for s in staff if s is not None} | {referral.patient.user_id}
    return {i for i in ids if i is not None}


def _announce(referral: Referral) -> None:
    """``referral.status`` to each participant's user group (the notification socket)."""
    event = events.ReferralStatus(referral=str(referral.pk), status=referral.status)
    for user_id in sorted(participant_user_ids(referral)):
        send_event_on_commit(events.user_group(user_id), event)


# --- the sending side ---------------------------------------------------------------------

@dataclass
class FollowUpInstruction:
    """What the hospital asks the centre to follow up (downward referrals)."""

    condition: str
    interval_days: int | None = None
    targets: str = ""


@dataclass
class ReferralDetails:
    patient: Patient
    direction: str
    to_institution: Institution
    reason: str
    summary: str
    to_department: Department | None = None
    to_doctor: Staff | None = None
    urgency: str = Urgency.ROUTINE
    medication: str = ""
    consultation: Consultation | None = None
    discharge_summary: str = ""
    diagnoses: list[dict[str, Any]] = field(default_factory=list)
    followup: FollowUpInstruction | None = None


def _patient_belongs(staff: Staff, patient: Patient, direction: str) -> bool:
    """Up: a patient registered at the sender's centre. Down: a patient registered at the
    hospital, or one who came to it through an upward referral and arrived."""
    if patient.home_institution_id == staff.institution_id:
        return True
    return direction == Direction.DOWN and Referral.objects.filter(
        patient=patient, direction=Direction.UP, to_institution=staff.institution_id,
        status__in=[ReferralStatus.ARRIVED, ReferralStatus.COMPLETED]).exists()


def _check_addressee(details: ReferralDetails) -> None:
    doctor, department = details.to_doctor, details.to_department
    if department is not None and department.institution_id != details.to_institution.pk:
        raise InvalidInput(_("the department is not at the receiving institution"),
                           field="to_department_id")
    if doctor is not None:
        wanted = Role.SPECIALIST if details.direction == Direction.UP else Role.CLINIC_DOCTOR
        if doctor.institution_id != details.to_institution.pk or doctor.role != wanted:
            raise InvalidInput(_("the doctor does not work at the receiving institution"),
                               field="to_doctor_id")
        if department is not None and doctor.department_id != department.pk:
            raise InvalidInput(_("the doctor is not in that department"), field="to_doctor_id")
    if details.direction == Direction.UP and doctor is None and department is None:
        raise InvalidInput(_("address an upward referral to a department or a doctor"),
                           field="to_department_id")


def _check_followup(details: ReferralDetails) -> FollowUpInstruction:
    instruction = details.followup
    if instruction is None:
        raise InvalidInput(_("a downward referral carries a follow-up instruction"),
                           field="followup")
    code = followup_rules.condition_code(_text(instruction.condition, "followup",
                                               required=True, limit=10))
    if not followup_rules.is_managed_condition(code):
        raise InvalidInput(_("%(code)s is not a condition managed by follow-up")
                           % {"code": code}, field="followup")
    if not any(d["icd10"].startswith(code) for d in details.diagnoses):
        raise InvalidInput(_("the follow-up condition must be one of the diagnoses made in "
                             "person"), field="followup")
    interval = instruction.interval_days
    if interval is not None and not (1 <= interval <= 366):
        raise InvalidInput(_("the follow-up interval is 1 to 366 days"), field="followup")
    return FollowUpInstruction(code, interval, _text(instruction.targets, "followup",
                                                     limit=2000))


def create_referral(user: User, details: ReferralDetails, *,
                    request: MaybeRequest = None) -> Referral:
    """A doctor drafts a referral for a patient of her institution (sent on consent)."""
    staff = _require_staff(user)
    if not staff.is_doctor:
        raise NotAllowed(_("only doctors refer patients"))
    _require_licence(staff)
    problem = rules.direction_allowed(details.direction, staff.institution,
                                      details.to_institution)
    if problem:
        raise InvalidInput(problem, field="to_institution_id")
    if not _patient_belongs(staff, details.patient, details.direction):
        raise InvalidInput(_("the patient does not belong to your institution"),
                           field="patient_id")
    if details.urgency not in Urgency.values:
        raise InvalidInput(_("urgency must be routine or urgent"), field="urgency")
    _check_addressee(details)
    consultation = details.consultation
    if consultation is not None and (
            consultation.patient_id != details.patient.pk
            or not visible_consultations(user).filter(pk=consultation.pk).exists()):
        raise InvalidInput(_("unknown consultation for this patient"), field="consultation_id")
    reason = _text(details.reason, "reason", required=True, limit=5000)
    summary = _text(details.summary, "summary", required=True)
    medication = _text(details.medication, "medication", limit=5000)
    diagnoses = _diagnoses(details.diagnoses)
    discharge = _text(details.discharge_summary, "discharge_summary",
                      required=details.direction == Direction.DOWN)
    instruction = None
    if details.direction == Direction.DOWN:
        details.diagnoses = diagnoses
        if not diagnoses:
            raise InvalidInput(_("a downward referral lists the diagnoses made in person"),
                               field="diagnoses")
        instruction = _check_followup(details)
    department = details.to_department or (details.to_doctor.department
                                           if details.to_doctor else None)
    with transaction.atomic():
        referral = Referral.objects.create(
            direction=details.direction, patient=details.patient, consultation=consultation,
            from_institution=staff.institution, requested_by=staff,
            to_institution=details.to_institution, to_department=department,
            to_doctor=details.to_doctor, urgency=details.urgency, reason=reason,
            summary=summary, medication=medication, discharge_summary=discharge,
            diagnoses=diagnoses,
            followup_condition=instruction.condition if instruction else "",
            followup_interval_days=instruction.interval_days if instruction else None,
            followup_targets=instruction.targets if instruction else "")
        audit.record(user, "referral.create", referral, request=request,
                     direction=referral.direction, urgency=referral.urgency)
    return referral


def record_consent(user: User, referral: Referral, *, signed_by: str, relation: str,
                   signed_at: dt.datetime, method: str,
                   request: MaybeRequest = None) -> Referral:
    """Informed consent, recorded by the sending side; it sends the referral
    (draft → requested) and, on the green channel, starts the answer clock."""
    staff = _require_staff(user)
    if not is_sender(staff, referral):
        raise NotAllowed(_("only the sending institution records consent"))
    with transaction.atomic():
        locked = _move(referral, ReferralStatus.REQUESTED)
        signed_by = _text(signed_by, "signed_by", required=True, limit=100)
        if relation not in Relation.values:
            raise InvalidInput(_("unknown relation"), field="relation")
        if method not in ConsentMethod.values:
            raise InvalidInput(_("unknown consent method"), field="method")
        if (not isinstance(signed_at, dt.datetime) or timezone.is_naive(signed_at)
                or signed_at > timezone.now() + rules.PAST_TOLERANCE):
            raise InvalidInput(_("signed_at must be an aware time, not in the future"),
                               field="signed_at")
        ReferralConsent.objects.create(referral=locked, signed_by=signed_by,
                                       relation=relation, signed_at=signed_at,
                                       method=method, recorded_by=staff)
        now = timezone.now()
        locked.requested_at = now
        locked.answer_due_at = rules.answer_due_at(locked.direction, locked.urgency, now)
        locked.save(update_fields=["status", "requested_at", "answer_due_at", "updated_at"])
        if locked.answer_due_at is not None:
            tasks.schedule_escalation(locked)
        audit.record(user, "referral.consent", locked, request=request, relation=relation,
                     method=method)
        audit.record(user, "referral.send", locked, request=request)
        _announce(locked)
    return locked


def cancel(user: User, referral: Referral, *, reason: str,
           request: MaybeRequest = None) -> Referral:
    """The sender withdraws the referral before the patient arrives."""
    staff = _require_staff(user)
    if not is_sender(staff, referral):
        raise NotAllowed(_("only the sending institution cancels a referral"))
    with transaction.atomic():
        locked = _move(referral, ReferralStatus.CANCELLED)
        locked.cancel_reason = _text(reason, "reason", required=True, limit=2000)
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "cancel_reason", "closed_at", "updated_at"])
        audit.record(user, "referral.cancel", locked, request=request)
        _announce(locked)
    return locked


# --- the receiving side -------------------------------------------------------------------

def _require_receiver(user: User, referral: Referral) -> Staff:
    staff = _require_staff(user)
    if not is_receiver(staff, referral):
        raise NotAllowed(_("this referral is not addressed to you"))
    return staff


@dataclass
class Admission:
    ward: str
    admit_at: dt.datetime | None = None


def accept(user: User, referral: Referral, *, appointment_at: dt.datetime | None = None,
           admission: Admission | None = None, location: str = "", bring: str = "",
           request: MaybeRequest = None) -> Referral:
    """Upward: the addressed doctor or the coordinator accepts with an outpatient time or
    an admission to a ward. Downward: the centre accepts and the patient's follow-up plan
    there is created or updated. The patient is told by SMS (a job, once)."""
    staff = _require_receiver(user, referral)
    if staff.is_doctor:
        _require_licence(staff)
    with transaction.atomic():
        locked = _move(referral, ReferralStatus.ACCEPTED)
        location = _text(location, "location", limit=rules.MAX_SHORT)
        extra = _text(bring, "bring", limit=2000)
        if locked.direction == Direction.UP:
            if (appointment_at is None) == (admission is None):
                raise InvalidInput(_("give an outpatient time or an admission with a ward"),
                                   field="appointment_at")
            if admission is not None:
                locked.appointment_kind = AppointmentKind.INPATIENT
                locked.ward = _text(admission.ward, "admission", required=True,
                                    limit=100)
                locked.appointment_at = _aware(admission.admit_at, "admission")
            else:
                locked.appointment_kind = AppointmentKind.OUTPATIENT
                locked.appointment_at = _aware(appointment_at, "appointment_at")
        else:
            if admission is not None:
                raise InvalidInput(_("a grassroots centre does not admit: give a time or "
                                     "nothing"), field="admission")
            locked.appointment_kind = AppointmentKind.FOLLOWUP
            locked.appointment_at = _aware(appointment_at, "appointment_at")
            locked.followup_plan = _hand_over_plan(user, locked, staff, request)
        locked.location = location
        locked.bring = extra
        locked.accepted_by = staff if staff.is_doctor else locked.to_doctor
        locked.accepted_at = timezone.now()
        locked.save()
        tasks.tell_patient_accepted.enqueue(str(locked.pk))
        audit.record(user, "referral.accept", locked, request=request,
                     kind=locked.appointment_kind,
                     appointment_at=locked.appointment_at.isoformat()
                     if locked.appointment_at else None)
        _announce(locked)
    return locked


def _record_in_person_diagnoses(referral: Referral, institution_id: int) -> None:
    """The hospital's in-person diagnoses become the patient's diagnoses (what makes
    online follow-up allowed at the centre)."""
    day = timezone.localdate(referral.requested_at or timezone.now())
    for item in referral.diagnoses:
        Diagnosis.objects.get_or_create(
            patient_id=referral.patient_id, icd10=item["icd10"], institution_id=institution_id,
            in_person=True, defaults={"name": item["name"], "diagnosed_on": day})


def _hand_over_plan(user: User, referral: Referral, staff: Staff,
                    request: MaybeRequest) -> FollowUpPlan:
    """Create, or update, the patient's follow-up plan at the accepting centre."""
    doctor = staff if staff.is_doctor else referral.to_doctor
    if doctor is None:
        raise InvalidInput(_("the referral names no doctor: a clinic doctor of the centre "
                             "accepts it and becomes the responsible doctor"), field="doctor")
    _record_in_person_diagnoses(referral, referral.from_institution_id)
    clinic = CloudClinic.objects.filter(institution=referral.to_institution_id).first()
    interval = referral.followup_interval_days
    first_due = timezone.localdate() + dt.timedelta(
        days=followup_rules.next_interval_days(False, interval))
    plan = FollowUpPlan.objects.select_for_update().filter(
        patient=referral.patient_id, condition=referral.followup_condition,
        status=PlanStatus.ACTIVE).first()
    if plan is None:
        return booking.create_plan(user, referral.patient, referral.followup_condition, doctor,
                                   clinic, first_due=first_due, interval_days=interval,
                                   request=request)
    plan.doctor, plan.clinic, plan.interval_days = doctor, clinic, interval
    plan.next_due_on = min(plan.next_due_on, first_due)
    plan.save(update_fields=["doctor", "clinic", "interval_days", "next_due_on"])
    plan.visits.filter(status=VisitStatus.DUE).update(doctor=doctor, due_on=plan.next_due_on)
    booking.ensure_due_visit(plan)
    audit.record(user, "followup.plan.update", plan, request=request,
                 referral=str(referral.pk))
    return plan


def decline(user: User, referral: Referral, *, reason: str,
            request: MaybeRequest = None) -> Referral:
    staff = _require_receiver(user, referral)
    with transaction.atomic():
        locked = _move(referral, ReferralStatus.DECLINED)
        locked.decline_reason = _text(reason, "reason", required=True, limit=2000)
        locked.accepted_by = None
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "decline_reason", "accepted_by", "closed_at",
                                   "updated_at"])
        audit.record(user, "referral.decline", locked, request=request, by=staff.pk)
        _announce(locked)
    return locked


def arrive(user: User, referral: Referral, *, request: MaybeRequest = None) -> Referral:
    """The patient checked in at the receiving institution."""
    _require_receiver(user, referral)
    with transaction.atomic():
        locked = _move(referral, ReferralStatus.ARRIVED)
        locked.arrived_at = timezone.now()
        locked.save(update_fields=["status", "arrived_at", "updated_at"])
        audit.record(user, "referral.arrive", locked, request=request)
        _announce(locked)
    return locked


def complete(user: User, referral: Referral, *, discharge_summary: str = "",
             diagnoses: list[dict[str, Any]] | None = None, treatment: str = "",
             medication: str = "",
             advice: str = "", request: MaybeRequest = None) -> Referral:
    """Upward: the hospital closes with a discharge summary (diagnoses made in person,
    treatment, medication on discharge, advice). Downward: the centre confirms hand-over."""
    _require_receiver(user, referral)
    with transaction.atomic():
        locked = _move(referral, ReferralStatus.COMPLETED)
        if locked.direction == Direction.UP:
            locked.discharge_summary = _text(discharge_summary, "discharge_summary",
                                             required=True)
            locked.diagnoses = _diagnoses(diagnoses)
            locked.treatment = _text(treatment, "treatment")
            locked.discharge_medication = _text(medication, "medication", limit=5000)
            locked.advice = _text(advice, "advice", limit=5000)
            _record_in_person_diagnoses(locked, locked.to_institution_id)
        else:
            note = _text(discharge_summary, "discharge_summary", limit=5000)
            if note:
                locked.advice = note
        locked.closed_at = timezone.now()
        locked.save()
        audit.record(user, "referral.complete", locked, request=request)
        _announce(locked)
    return locked
