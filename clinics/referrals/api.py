"""JSON API at /api/v1/referrals; thin over ``clinics.referrals.actions``."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja import Status as HttpStatus

from clinics.consultations.models import Consultation
from clinics.models import Department, Institution, Patient, Staff
from clinics.referrals import actions
from clinics.referrals.access import visible_referrals, worklist_order
from clinics.referrals.models import Direction, Referral, ReferralStatus
from clinics.referrals.presenters import referral_dict
from clinics.referrals.schemas import (
    AcceptIn,
    CompleteIn,
    ConsentIn,
    ReasonIn,
    ReferralIn,
    ReferralItemOut,
    ReferralOut,
)
from clinics.schemas import ErrorOut
from cloudhospital.core.errors import InvalidInput
from cloudhospital.security import audit

router = Router(tags=["referrals"])


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}


def _ok(model: Any) -> dict[int, Any]:
    return {200: model, **ERRORS}


@router.get("", response=_ok(list[ReferralItemOut]))
def list_referrals(request: HttpRequest, status: Query[ReferralStatus | None] = None,
                   direction: Query[Direction | None] = None) -> list[dict[str, Any]]:
    """The caller's referrals: the receiving worklist order (green channel first)."""
    qs = visible_referrals(request.user)
    if status is not None:
        qs = qs.filter(status=status)
    if direction is not None:
        qs = qs.filter(direction=direction)
    items = [referral_dict(r) for r in worklist_order(qs)[:500]]
    audit.record(request.user, "referral.list", object_type="referrals.referral",
                 object_id="*", request=request, count=len(items))
    return items


def _lookup(model: Any, pk: int | uuid.UUID | None, field: str, **filters: Any) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(pk=pk, **filters).first()
    if found is None:
        raise InvalidInput(_("unknown %(field)s") % {"field": field}, field=field)
    return found


@router.post("", response={201: ReferralOut, **ERRORS})
def create_referral(request: HttpRequest, payload: ReferralIn) -> HttpStatus[Any]:
    details = actions.ReferralDetails(
        patient=_lookup(Patient, payload.patient_id, "patient_id"),
        direction=payload.direction,
        to_institution=_lookup(Institution, payload.to_institution_id, "to_institution_id"),
        to_department=_lookup(Department, payload.to_department_id, "to_department_id"),
        to_doctor=_lookup(Staff, payload.to_doctor_id, "to_doctor_id"),
        urgency=payload.urgency, reason=payload.reason, summary=payload.summary,
        medication=payload.medication,
        consultation=_lookup(Consultation, payload.consultation_id, "consultation_id"),
        discharge_summary=payload.discharge_summary,
        diagnoses=[d.dict() for d in payload.diagnoses],
        followup=actions.FollowUpInstruction(**payload.followup.dict())
        if payload.followup else None)
    referral = actions.create_referral(request.user, details, request=request)
    return HttpStatus(201, referral_dict(referral))


def _get(request: HttpRequest, referral_id: uuid.UUID,
         audit_read: bool = False) -> Referral:
    return actions.get_referral(request.user, referral_id, request=request,
                                audit_read=audit_read)


@router.get("/{referral_id}", response=_ok(ReferralOut))
def get_referral(request: HttpRequest, referral_id: uuid.UUID) -> dict[str, Any]:
    return referral_dict(_get(request, referral_id, audit_read=True))


@router.post("/{referral_id}/consent", response=_ok(ReferralOut))
def consent(request: HttpRequest, referral_id: uuid.UUID,
            payload: ConsentIn) -> dict[str, Any]:
    """Record the patient's consent; this sends the referral (draft → requested)."""
    return referral_dict(actions.record_consent(request.user, _get(request, referral_id),
                                                request=request, **payload.dict()))


@router.post("/{referral_id}/accept", response=_ok(ReferralOut))
def accept(request: HttpRequest, referral_id: uuid.UUID,
           payload: AcceptIn) -> dict[str, Any]:
    """Accept with ``appointment_at`` (outpatient) or ``admission`` {ward, admit_at}."""
    admission = (actions.Admission(**payload.admission.dict())
                 if payload.admission else None)
    return referral_dict(actions.accept(
        request.user, _get(request, referral_id), appointment_at=payload.appointment_at,
        admission=admission, location=payload.location, bring=payload.bring,
        request=request))


@router.post("/{referral_id}/decline", response=_ok(ReferralOut))
def decline(request: HttpRequest, referral_id: uuid.UUID,
            payload: ReasonIn) -> dict[str, Any]:
    return referral_dict(actions.decline(request.user, _get(request, referral_id),
                                         reason=payload.reason, request=request))


@router.post("/{referral_id}/arrive", response=_ok(ReferralOut))
def arrive(request: HttpRequest, referral_id: uuid.UUID) -> dict[str, Any]:
    return referral_dict(actions.arrive(request.user, _get(request, referral_id),
                                        request=request))


@router.post("/{referral_id}/complete", response=_ok(ReferralOut))
def complete(request: HttpRequest, referral_id: uuid.UUID,
             payload: CompleteIn) -> dict[str, Any]:
    data = payload.dict()
    return referral_dict(actions.complete(request.user, _get(request, referral_id),
                                          request=request, **data))


@router.post("/{referral_id}/cancel", response=_ok(ReferralOut))
def cancel(request: HttpRequest, referral_id: uuid.UUID,
           payload: ReasonIn) -> dict[str, Any]:
    return referral_dict(actions.cancel(request.user, _get(request, referral_id),
                                        reason=payload.reason, request=request))
