"""Online prescription renewal (续方): each step one function, checked, locked, audited.

draft → signed → approved | rejected → dispensed, or revoked by the doctor before
dispensing. Wrong moves answer 409 with the current status. Nothing here runs by itself:
every prescription is written and signed by a doctor (no job drafts or renews one).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.access import MaybeRequest, User, patient_of, staff_of
from clinics.followups import notify
from clinics.followups.models import FollowUpPlan, Visit
from clinics.models import Diagnosis, Patient, Role, Staff
from clinics.prescriptions import rules, signing
from clinics.prescriptions.access import get_prescription, get_request
from clinics.prescriptions.errors import NotEligible
from clinics.prescriptions.models import (
    Decision,
    Dispense,
    DispenseMethod,
    Drug,
    Prescription,
    PrescriptionItem,
    RenewalRequest,
    RenewalStatus,
    Review,
    RxStatus,
)
from cloudhospital.core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from cloudhospital.security import audit

MAX_TEXT = 2000


def clean_text(value: str | None, field: str, *, required: bool = False) -> str:
    """Free text from people: no NUL, bounded, stripped."""
    value = (value or "").strip()
    if "\x00" in value:
        raise InvalidInput(_("Text may not contain NUL characters."), field=field)
    if len(value) > MAX_TEXT:
        raise InvalidInput(_("At most %(n)s characters.") % {"n": MAX_TEXT}, field=field)
    if required and not value:
        raise InvalidInput(_("A reason is required."), field=field)
    return value


def _staff(user: User, *roles: str) -> Staff:
    staff = staff_of(user)
    if staff is None or (roles and staff.role not in roles):
        raise NotAllowed(_("This step is not yours to take."))
    return staff


def _doctor(user: User) -> Staff:
    staff = staff_of(user)
    if staff is None or not staff.is_doctor:
        raise NotAllowed(_("Only doctors prescribe."))
    return staff


def _lock(rx: Prescription, to: str) -> Prescription:
    """Lock the row and check the move; 409 with the current status if it is wrong."""
    locked = Prescription.objects.select_for_update().get(pk=rx.pk)
    if not locked.can_transition_to(to):
        raise InvalidTransition(
            _("This prescription is %(status)s; it cannot become %(to)s.") % {
                "status": locked.get_status_display(), "to": RxStatus(to).label},
            status=locked.status)
    return locked


def drug_by_code(code: str) -> Drug:
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", code or ""):
        raise InvalidInput(_("Unknown drug code."), field="drug_code")
    drug = Drug.objects.filter(code=code, active=True).first()
    if drug is None:
        raise InvalidInput(_("Unknown drug code %(code)s.") % {"code": code[:32]},
                           field="drug_code")
    return drug


def make_item(drug_code: str, dose: Any, unit: str, frequency: str, route: str, days: int,
              quantity: int) -> rules.ItemIn:
    """One Rp. line from what a person typed: a known drug, its own dose unit, known
    frequency and route codes, positive bounded numbers."""
    from decimal import Decimal, InvalidOperation

    from clinics.prescriptions.models import Frequency, Route

    drug = drug_by_code(str(drug_code).strip())
    try:
        dose = Decimal(str(dose))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(_("Enter the dose as a number."), field="dose") from exc
    if not dose.is_finite() or not Decimal("0") < dose <= Decimal("10000"):
        raise InvalidInput(_("The dose must be a positive number."), field="dose")
    if unit != drug.unit:
        raise InvalidInput(_("%(drug)s is dosed in %(unit)s.") % {
            "drug": drug.name, "unit": drug.unit}, field="unit")
    if frequency not in Frequency.values:
        raise InvalidInput(_("Unknown frequency."), field="frequency")
    if route not in Route.values:
        raise InvalidInput(_("Unknown route."), field="route")
    for name, value, top in (("days", days, 3650), ("quantity", quantity, 100000)):
        if not isinstance(value, int) or not 1 <= value <= top:
            raise InvalidInput(_("%(field)s must be a whole number from 1 to %(top)s.") % {
                "field": name, "top": top}, field=name)
    return rules.ItemIn(drug=drug, dose=dose.quantize(Decimal("0.001")), unit=unit,
                        frequency=frequency, route=route, days=days, quantity=quantity)


@dataclass
class Draft:
    """What the doctor writes; checked by ``create_prescription``."""

    patient_id: int
    items: list[rules.ItemIn]
    visit_id: int | None = None
    renewal_request_id: int | None = None
    long_term: bool = False
    guardian_present: bool = False
    urgent: bool = False
    note: str = ""


def _context(doctor: Staff, draft: Draft, now: dt.datetime
             ) -> tuple[FollowUpPlan, Visit | None, RenewalRequest | None]:
    """The visit or renewal request the prescription answers, and its plan."""
    if (draft.visit_id is None) == (draft.renewal_request_id is None):
        raise NotEligible(_("Prescribe from a follow-up visit or a renewal request (one "
                            "of them)."), rule="context")
    if draft.visit_id is not None:
        visit = (Visit.objects.select_for_update(of=("self",)).select_related("plan")
                 .filter(pk=draft.visit_id, patient_id=draft.patient_id).first())
        if visit is None:
            raise NotEligible(_("No follow-up visit of this patient with that number."),
                              rule="in_visit")
        rules.in_follow_up_visit(doctor, visit, now)
        return visit.plan, visit, None
    req = (RenewalRequest.objects.select_for_update(of=("self",)).select_related("plan")
           .filter(pk=cast(int, draft.renewal_request_id), patient_id=draft.patient_id).first())
    if req is None:
        raise NotEligible(_("No renewal request of this patient with that number."),
                          rule="renewal_request")
    rules.answers_request_by_plan_doctor(doctor, req.plan)
    if req.status != RenewalStatus.WAITING:
        raise InvalidTransition(_("This renewal request has already been answered."),
                                status=req.status)
    return req.plan, None, req


def check_draft(doctor: Staff, draft: Draft, plan: FollowUpPlan, patient: Patient,
                now: dt.datetime) -> Diagnosis:
    """All the online-prescribing rules, in the order a doctor would fix them."""
    diagnosis = rules.diagnosed_in_person(plan)
    rules.at_most_five_items(draft.items)
    for item in draft.items:
        rules.not_restricted(item.drug)
    for item in draft.items:
        rules.indicated_for_managed_condition(item.drug, patient, plan)
    rules.supply_allowed(draft.items, draft.long_term, rules.is_stable(plan))
    rules.guardian_for_young_child(patient, draft.guardian_present, timezone.localdate(now))
    return diagnosis


def create_prescription(user: User, draft: Draft, *, request: MaybeRequest = None,
                        now: dt.datetime | None = None) -> Prescription:
    """The doctor writes a draft in a follow-up visit or for a renewal request."""
    doctor = _doctor(user)
    now = now or timezone.now()
    note = clean_text(draft.note, "note")
    with transaction.atomic():
        plan, visit, req = _context(doctor, draft, now)
        patient = plan.patient
        diagnosis = check_draft(doctor, draft, plan, patient, now)
        rx = Prescription.objects.create(
            patient=patient, plan=plan, diagnosis=diagnosis, visit=visit, renewal_request=req,
            institution=doctor.institution, doctor=doctor, long_term=draft.long_term,
            guardian_present=draft.guardian_present, urgent=draft.urgent or bool(
                visit and visit.urgent), note=note, created_at=now)
        for position, item in enumerate(draft.items, start=1):
            PrescriptionItem.objects.create(
                prescription=rx, position=position, drug=item.drug, dose=item.dose,
                unit=item.unit, frequency=item.frequency, route=item.route, days=item.days,
                quantity=item.quantity)
        if req is not None:
            req.status, req.answered_at = RenewalStatus.ANSWERED, now
            req.save(update_fields=["status", "answered_at"])
        audit.record(user, "prescription.create", rx, request=request,
                     items=[i.drug.code for i in draft.items], long_term=draft.long_term)
    return rx


def _own_prescription(doctor: Staff, rx: Prescription) -> None:
    if rx.doctor_id != doctor.pk:
        raise NotAllowed(_("Only the prescribing doctor does this."))


def sign(user: User, rx: Prescription, *, request: MaybeRequest = None,
         now: dt.datetime | None = None) -> Prescription:
    """draft → signed with the doctor's Ed25519 key; the content is frozen from here."""
    doctor = _doctor(user)
    _own_prescription(doctor, rx)
    rules.real_name_licensed_doctor(doctor)
    with transaction.atomic():
        locked = _lock(rx, RxStatus.SIGNED)
        signing.ensure_signing_key(doctor)
        locked.signed_at = (now or timezone.now()).replace(microsecond=0)
        locked.status = RxStatus.SIGNED
        locked.doctor = doctor
        locked.signer_public_key = bytes(cast(bytes, doctor.signing_public_key))
        locked.signature = signing.sign(doctor, signing.canonical_bytes(locked))
        locked.save()
        audit.record(user, "prescription.sign", locked, request=request,
                     fingerprint=signing.fingerprint(locked))
    return locked


def _pharmacist(user: User, rx: Prescription) -> Staff:
    staff = _staff(user, Role.PHARMACIST)
    rules.institution_pharmacist(staff, rx.institution_id)
    return staff


def approve(user: User, rx: Prescription, *, reason: str = "", request: MaybeRequest = None,
            now: dt.datetime | None = None) -> Prescription:
    """signed → approved by a pharmacist of the prescribing institution (处方审核); the
    patient is told (in-app and SMS) and a refill reminder is queued."""
    from clinics.prescriptions import tasks

    pharmacist = _pharmacist(user, rx)
    reason = clean_text(reason, "reason")
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(rx, RxStatus.APPROVED)
        if not signing.verify(locked):
            raise InvalidTransition(_("The doctor's signature does not match this "
                                      "prescription."), status=locked.status)
        Review.objects.create(prescription=locked, pharmacist=pharmacist,
                              decision=Decision.APPROVED, reason=reason, reviewed_at=now)
        locked.status, locked.supply_start = RxStatus.APPROVED, timezone.localdate(now)
        locked.save(update_fields=["status", "supply_start", "updated_at"])
        tasks.notify_approved.enqueue(str(locked.pk))
        tasks.schedule_refill_reminder(locked)
        audit.record(user, "prescription.approve", locked, request=request)
    return locked


def reject(user: User, rx: Prescription, *, reason: str, request: MaybeRequest = None,
           now: dt.datetime | None = None) -> Prescription:
    """signed → rejected, with the pharmacist's reason for the doctor."""
    pharmacist = _pharmacist(user, rx)
    reason = clean_text(reason, "reason", required=True)
    with transaction.atomic():
        locked = _lock(rx, RxStatus.REJECTED)
        Review.objects.create(prescription=locked, pharmacist=pharmacist,
                              decision=Decision.REJECTED, reason=reason,
                              reviewed_at=now or timezone.now())
        locked.status = RxStatus.REJECTED
        locked.save(update_fields=["status", "updated_at"])
        notify.notify(locked.doctor.user, kind="prescription_rejected",
                      dedupe_key=f"rx-rejected:{locked.pk}",
                      title=_("Prescription rejected by the pharmacist"),
                      body=f"{locked.patient.name}: {reason}",
                      data={"prescription_id": str(locked.pk)})
        audit.record(user, "prescription.reject", locked, request=request)
    return locked


def dispense(user: User, rx: Prescription, *, method: str = DispenseMethod.PICKUP, note: str = "",
             request: MaybeRequest = None, now: dt.datetime | None = None) -> Prescription:
    """approved → dispensed: the centre's pharmacy records the hand-over (or delivery)."""
    from clinics.prescriptions import tasks

    pharmacist = _pharmacist(user, rx)
    if method not in DispenseMethod.values:
        raise InvalidInput(_("Unknown dispensing method."), field="method")
    note = clean_text(note, "note")
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(rx, RxStatus.DISPENSED)
        Dispense.objects.create(prescription=locked, pharmacist=pharmacist, method=method,
                                note=note, dispensed_at=now)
        locked.status, locked.supply_start = RxStatus.DISPENSED, timezone.localdate(now)
        locked.save(update_fields=["status", "supply_start", "updated_at"])
        tasks.schedule_refill_reminder(locked)
        audit.record(user, "prescription.dispense", locked, request=request, method=method)
    return locked


def revoke(user: User, rx: Prescription, *, reason: str, request: MaybeRequest = None,
           now: dt.datetime | None = None) -> Prescription:
    """Any state before dispensing → revoked, by the prescribing doctor, with a reason."""
    doctor = _doctor(user)
    _own_prescription(doctor, rx)
    reason = clean_text(reason, "reason", required=True)
    with transaction.atomic():
        locked = _lock(rx, RxStatus.REVOKED)
        was_valid = locked.is_valid
        locked.status, locked.revoked_at = RxStatus.REVOKED, now or timezone.now()
        locked.revoke_reason = reason
        locked.save(update_fields=["status", "revoked_at", "revoke_reason", "updated_at"])
        if was_valid:  # the patient was told it is ready: tell him it no longer is
            notify.notify(locked.patient.user, kind="prescription_revoked",
                          patient=locked.patient, sms=True,
                          dedupe_key=f"rx-revoked:{locked.pk}",
                          title=_("Your prescription was withdrawn by the doctor"),
                          body=reason, data={"prescription_id": str(locked.pk)})
        audit.record(user, "prescription.revoke", locked, request=request)
    return locked


def request_renewal(user: User, rx: Prescription, *, note: str = "", request: MaybeRequest = None,
                    now: dt.datetime | None = None) -> RenewalRequest:
    """The patient asks the plan's doctor to renew a current (valid) prescription; the
    request waits on the doctor's desk. It never creates a prescription by itself."""
    patient = patient_of(user)
    if patient is None or rx.patient_id != patient.pk:
        raise NotFound(_("No such prescription."))
    note = clean_text(note, "note")
    with transaction.atomic():
        locked = Prescription.objects.select_for_update().get(pk=rx.pk)
        if not locked.is_valid or locked.is_superseded():
            raise InvalidTransition(_("Only a current prescription can be renewed."),
                                    status=locked.status)
        if RenewalRequest.objects.filter(prescription=locked,
                                         status=RenewalStatus.WAITING).exists():
            raise InvalidTransition(_("A renewal request is already waiting."),
                                    status=locked.status)
        try:
            with transaction.atomic():
                req = RenewalRequest.objects.create(patient=patient, plan=locked.plan,
                                                    prescription=locked, note=note,
                                                    created_at=now or timezone.now())
        except IntegrityError as exc:  # a concurrent request won the unique constraint
            raise InvalidTransition(_("A renewal request is already waiting."),
                                    status=locked.status) from exc
        notify.notify(locked.plan.doctor.user, kind="renewal_request",
                      dedupe_key=f"rx-renewal:{req.pk}",
                      title=_("Renewal request from %(patient)s") % {"patient": patient.name},
                      body=note[:200], data={"renewal_request_id": req.pk,
                                             "prescription_id": str(locked.pk)})
        audit.record(user, "prescription.renewal_request", locked, request=request,
                     renewal_request=req.pk)
    return req


def decline_renewal(user: User, request_id: int, *, reason: str,
                    request: MaybeRequest = None) -> RenewalRequest:
    """The plan's doctor declines a renewal request (e.g. the patient must be seen)."""
    doctor = _doctor(user)
    with transaction.atomic():
        req = get_request(user, request_id, request=request)
        reason = clean_text(reason, "reason", required=True)
        req = RenewalRequest.objects.select_for_update().get(pk=req.pk)
        rules.answers_request_by_plan_doctor(doctor, req.plan)
        if req.status != RenewalStatus.WAITING:
            raise InvalidTransition(_("This renewal request has already been answered."),
                                    status=req.status)
        req.status, req.answered_at, req.decline_reason = (
            RenewalStatus.DECLINED, timezone.now(), reason)
        req.save(update_fields=["status", "answered_at", "decline_reason"])
        notify.notify(req.patient.user, kind="renewal_declined", patient=req.patient,
                      dedupe_key=f"rx-renewal-declined:{req.pk}",
                      title=_("Your renewal request was declined"), body=reason,
                      data={"renewal_request_id": req.pk})
        audit.record(user, "prescription.renewal_decline", req, request=request)
    return req


def verify_signature(user: User, rx: Prescription, *,
                     request: MaybeRequest = None) -> dict[str, Any]:
    """Is the stored signature valid for the current content (tampering shows here)?"""
    audit.record(user, "prescription.verify", rx, request=request)
    return {"id": str(rx.pk), "status": rx.status, "valid": signing.verify(rx),
            "signed_at": rx.signed_at, "signer": rx.doctor.real_name,
            "licence_number": rx.doctor.licence_number,
            "fingerprint": signing.fingerprint(rx) if rx.signed_at else None}


__all__ = ["Draft", "approve", "create_prescription", "decline_renewal", "dispense",
           "get_prescription", "reject", "request_renewal", "revoke", "sign",
           "verify_signature"]
