"""JSON API at /api/v1/drugs and /api/v1/prescriptions; thin over actions.py.

Errors: 422 with not_eligible, restricted_drug, too_long, guardian_required (and
invalid_input for shapes); 409 invalid_transition with the current status; 404 for what
the caller may not see.
"""


import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja import Status as HttpStatus
from pydantic import Field, StringConstraints

from clinics.prescriptions import access, actions, documents
from clinics.prescriptions.models import Drug, Prescription, RxStatus
from clinics.schemas import ErrorOut
from cloudhospital.core.errors import InvalidInput
from cloudhospital.security import audit

router = Router(tags=["prescriptions"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}
DB_ID = Annotated[int, Field(ge=1, le=2**63 - 1)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
Text = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")]


def _ok(model: Any) -> dict[int, Any]:
    return {200: model, **ERRORS}


class DrugOut(Schema):
    code: str
    name: str
    form: str
    strength: str
    route: str
    unit: str
    package_unit: str
    conditions: list[str]
    restricted: bool
    restrictions: list[str]


class ItemIn(Schema):
    drug_code: Code
    dose: Decimal = Field(gt=0, le=10000, max_digits=8, decimal_places=3)
    unit: Annotated[str, StringConstraints(max_length=10, pattern=r"^[^\x00]+$")]
    frequency: Annotated[str, StringConstraints(max_length=5)]
    route: Annotated[str, StringConstraints(max_length=5)]
    days: int = Field(ge=1, le=3650)
    quantity: int = Field(ge=1, le=100000)


class PrescriptionIn(Schema):
    patient_id: DB_ID
    visit_id: DB_ID | None = None
    renewal_request_id: DB_ID | None = None
    items: list[ItemIn] = Field(max_length=20)
    long_term: bool = False
    guardian_present: bool = False
    urgent: bool = False
    note: Text = ""


class ReasonIn(Schema):
    reason: Text = ""


class DispenseIn(Schema):
    method: Annotated[str, StringConstraints(max_length=10)] = "pickup"
    note: Text = ""


class RenewalIn(Schema):
    note: Text = ""


class ItemOut(Schema):
    drug_code: str
    name: str
    strength: str
    form: str
    dose: Decimal
    unit: str
    frequency: str
    route: str
    days: int
    quantity: int
    package_unit: str


class ReviewOut(Schema):
    decision: str
    reason: str
    pharmacist: str
    reviewed_at: dt.datetime


class PrescriptionOut(Schema):
    id: uuid.UUID
    status: str
    patient_id: int
    patient_name: str
    plan_id: int
    condition: str
    diagnosis: str
    visit_id: int | None
    renewal_request_id: int | None
    institution: str
    doctor: str
    licence_number: str
    long_term: bool
    guardian_present: bool
    urgent: bool
    note: str
    items: list[ItemOut]
    created_at: dt.datetime
    signed_at: dt.datetime | None
    supply_start: dt.date | None
    supply_end: dt.date | None
    days_left: int | None
    valid: bool
    review: ReviewOut | None
    dispensed_at: dt.datetime | None
    verify_url: str | None


class RenewalOut(Schema):
    id: int
    status: str
    prescription_id: uuid.UUID
    patient_id: int
    plan_id: int
    note: str
    created_at: dt.datetime


class PrescriptionVerifyOut(Schema):
    id: uuid.UUID
    status: str
    valid: bool
    signed_at: dt.datetime | None
    signer: str
    licence_number: str
    fingerprint: str | None


def drug_dict(d: Drug) -> dict[str, Any]:
    return {"code": d.code, "name": d.name, "form": d.form, "strength": d.strength,
            "route": d.route, "unit": d.unit, "package_unit": d.package_unit,
            "conditions": d.conditions, "restricted": d.restricted,
            "restrictions": d.restrictions}


def prescription_dict(rx: Prescription, request: HttpRequest | None = None) -> dict[str, Any]:
    review = getattr(rx, "review", None) if rx.status not in ("draft", "signed") else None
    dispense = getattr(rx, "dispense", None) if rx.status == "dispensed" else None
    verify = documents.verify_url(rx, request) if rx.signed_at else None
    return {
        "id": rx.pk, "status": rx.status, "patient_id": rx.patient_id,
        "patient_name": rx.patient.name, "plan_id": rx.plan_id, "condition": rx.plan.condition,
        "diagnosis": f"{rx.diagnosis.icd10} {rx.diagnosis.name}", "visit_id": rx.visit_id,
        "renewal_request_id": rx.renewal_request_id, "institution": rx.institution.name,
        "doctor": rx.doctor.real_name, "licence_number": rx.doctor.licence_number,
        "long_term": rx.long_term, "guardian_present": rx.guardian_present,
        "urgent": rx.urgent, "note": rx.note,
        "items": [{"drug_code": i.drug.code, "name": i.drug.name, "strength": i.drug.strength,
                   "form": i.drug.form, "dose": i.dose, "unit": i.unit,
                   "frequency": i.frequency, "route": i.route, "days": i.days,
                   "quantity": i.quantity, "package_unit": i.drug.package_unit}
                  for i in rx.items.select_related("drug")],
        "created_at": rx.created_at, "signed_at": rx.signed_at,
        "supply_start": rx.supply_start, "supply_end": rx.supply_end,
        "days_left": rx.days_left(), "valid": rx.is_valid,
        "review": {"decision": review.decision, "reason": review.reason,
                   "pharmacist": review.pharmacist.real_name,
                   "reviewed_at": review.reviewed_at} if review else None,
        "dispensed_at": dispense.dispensed_at if dispense else None,
        "verify_url": verify,
    }


@router.get("/drugs", response=_ok(list[DrugOut]))
def drugs(request: HttpRequest, q: str = "") -> list[dict[str, Any]]:
    """Catalogue search by code or generic name (restricted drugs are listed, flagged)."""
    if len(q) > 50 or "\x00" in q:
        raise InvalidInput(_("Search with at most 50 characters."), field="q")
    q = q.strip()
    qs = Drug.objects.filter(active=True)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q))
    return [drug_dict(d) for d in qs[:50]]


@router.get("/prescriptions", response=_ok(list[PrescriptionOut]))
def list_prescriptions(request: HttpRequest, status: str = "") -> list[dict[str, Any]]:
    qs = access.visible_prescriptions(request.user)
    if status not in ("", *RxStatus.values):
        raise InvalidInput(_("Unknown status."), field="status")
    if status:
        qs = qs.filter(status=status)
    items = [prescription_dict(rx, request) for rx in qs[:200]]
    audit.record(request.user, "prescription.list", object_type="prescriptions.prescription",
                 object_id="*", request=request, count=len(items))
    return items


@router.post("/prescriptions", response={201: PrescriptionOut, **ERRORS})
def create(request: HttpRequest, payload: PrescriptionIn) -> HttpStatus[Any]:
    items = [actions.make_item(**i.dict()) for i in payload.items]
    rx = actions.create_prescription(request.user, actions.Draft(
        patient_id=payload.patient_id, items=items, visit_id=payload.visit_id,
        renewal_request_id=payload.renewal_request_id, long_term=payload.long_term,
        guardian_present=payload.guardian_present, urgent=payload.urgent,
        note=payload.note), request=request)
    return HttpStatus(201, prescription_dict(rx, request))


def _get(request: HttpRequest, prescription_id: uuid.UUID,
         audit_read: bool = False) -> Prescription:
    return access.get_prescription(request.user, prescription_id, request=request,
                                   audit_read=audit_read)


@router.get("/prescriptions/{prescription_id}", response=_ok(PrescriptionOut))
def detail(request: HttpRequest, prescription_id: uuid.UUID) -> dict[str, Any]:
    return prescription_dict(_get(request, prescription_id, audit_read=True), request)


def _transition(name: str, action: Callable[..., Prescription],
                schema: type[Schema] | None = None) -> None:
    """Register POST /prescriptions/{id}/<name> calling ``action``."""
    view: Callable[..., dict[str, Any]]
    if schema is None:
        def view(request: HttpRequest, prescription_id: uuid.UUID) -> dict[str, Any]:
            rx = action(request.user, _get(request, prescription_id), request=request)
            return prescription_dict(rx, request)
    else:
        def view(request: HttpRequest, prescription_id: uuid.UUID,
                 payload: schema) -> dict[str, Any]:  # type: ignore[valid-type]
            rx = action(request.user, _get(request, prescription_id), request=request,
                        **payload.dict())  # type: ignore[attr-defined]
            return prescription_dict(rx, request)
    view.__name__ = f"prescription_{name}"
    view.__doc__ = action.__doc__
    router.post(f"/prescriptions/{{prescription_id}}/{name}", response=_ok(PrescriptionOut),
                operation_id=f"prescription_{name}")(view)


_transition("sign", actions.sign)
_transition("approve", actions.approve, ReasonIn)
_transition("reject", actions.reject, ReasonIn)
_transition("dispense", actions.dispense, DispenseIn)
_transition("revoke", actions.revoke, ReasonIn)


@router.post("/prescriptions/{prescription_id}/renewal-request",
             response={201: RenewalOut, **ERRORS})
def renewal_request(request: HttpRequest, prescription_id: uuid.UUID,
                    payload: RenewalIn) -> HttpStatus[Any]:
    """The patient asks his plan's doctor to renew a current prescription."""
    req = actions.request_renewal(request.user, _get(request, prescription_id),
                                  note=payload.note, request=request)
    return HttpStatus(201, {"id": req.pk, "status": req.status,
                            "prescription_id": req.prescription_id,
                            "patient_id": req.patient_id, "plan_id": req.plan_id,
                            "note": req.note, "created_at": req.created_at})


@router.get("/prescriptions/{prescription_id}/verify", response=_ok(PrescriptionVerifyOut))
def verify(request: HttpRequest, prescription_id: uuid.UUID) -> dict[str, Any]:
    return actions.verify_signature(request.user, _get(request, prescription_id),
                                    request=request)


@router.get("/prescriptions/{prescription_id}/pdf", response=ERRORS)
def pdf(request: HttpRequest, prescription_id: uuid.UUID) -> HttpResponse:
    """The 处方笺 as PDF; only for an approved (or dispensed) prescription."""
    rx = _get(request, prescription_id)
    body = documents.prescription_pdf(request.user, rx, request=request)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="rx-{rx.number}.pdf"'
    return response


