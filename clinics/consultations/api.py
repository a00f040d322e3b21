"""JSON API for consultations; thin over ``clinics.consultations.actions``."""

import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Query, Router, Schema
from ninja import Status as HttpStatus

from clinics.access import visible_patients
from clinics.consultations import actions, queries
from clinics.consultations.consent import recording_permitted, set_recording_consent
from clinics.consultations.models import Consultation, Status
from clinics.consultations.presenters import consultation_dict, report_dict
from clinics.consultations.schemas import (
    ConsentIn,
    ConsultationIn,
    ConsultationOut,
    ReasonIn,
    ReportIn,
    ReportOut,
    ScheduleIn,
    VerifyOut,
)
from clinics.schemas import ERRORS, ErrorOut, ok
from cloudhospital.core.apitypes import StrictBool
from cloudhospital.core.errors import InvalidInput
from cloudhospital.security import audit

router = Router(tags=["consultations"])


@router.get("/consultations", response=ok(list[ConsultationOut]))
def list_consultations(request: HttpRequest,
                       status: Query[Status | None] = None) -> list[dict[str, Any]]:
    return [consultation_dict(c) for c in actions.list_consultations(
        request.user, status=status, request=request)]


@router.post("/consultations", response={201: ConsultationOut, **ERRORS})
def create_consultation(request: HttpRequest, payload: ConsultationIn) -> HttpStatus[Any]:
    patient = visible_patients(request.user).filter(pk=payload.patient_id).first()
    if patient is None:
        raise InvalidInput(gettext("unknown patient"), field="patient_id")
    details = actions.RequestDetails(
        patient=patient,
        **queries.request_targets(invited_institution_id=payload.invited_institution_id,
                                  specialist_id=payload.specialist_id,
                                  department_id=payload.department_id),
        reason=payload.reason, clinical_question=payload.clinical_question,
        record_summary=payload.record_summary, urgency=payload.urgency,
        proposed_times=payload.proposed_times)
    consultation = actions.create_request(request.user, details, request=request)
    return HttpStatus(201, consultation_dict(consultation))


def _get(request: HttpRequest, consultation_id: uuid.UUID,
         audit_read: bool = False) -> Consultation:
    return actions.get_consultation(request.user, consultation_id, request=request,
                                    audit_read=audit_read)


@router.get("/consultations/{consultation_id}", response=ok(ConsultationOut))
def get_consultation(request: HttpRequest, consultation_id: uuid.UUID) -> dict[str, Any]:
    return consultation_dict(_get(request, consultation_id, audit_read=True))


@router.post("/consultations/{consultation_id}/consent", response=ok(ConsultationOut))
def consent(request: HttpRequest, consultation_id: uuid.UUID, payload: ConsentIn) -> dict[str, Any]:
    consultation = _get(request, consultation_id)
    actions.record_consent(request.user, consultation, request=request, **payload.dict())
    return consultation_dict(_get(request, consultation_id))


# The workflow moves answered with the consultation; the steps are actions.STEPS, shared
# with the pages. Inputs: the schema of the step, if it has any.
TRANSITION_INPUTS = {"submit": None, "accept": None, "decline": ReasonIn,
                     "schedule": ScheduleIn, "start": None, "complete": None,
                     "cancel": ReasonIn, "acknowledge": None}


def _transition(name: str, schema: type[Schema] | None = None) -> None:
    """Register POST /consultations/{id}/<name> running the step ``name``."""
    view: Callable[..., dict[str, Any]]
    if schema is None:
        def plain(request: HttpRequest, consultation_id: uuid.UUID) -> dict[str, Any]:
            return consultation_dict(actions.take_step(
                request.user, _get(request, consultation_id), name, request=request))
        view = plain
    else:
        def with_input(request: HttpRequest, consultation_id: uuid.UUID,
                       payload: schema) -> dict[str, Any]:  # type: ignore[valid-type]
            data: dict[str, Any] = payload.dict()  # type: ignore[attr-defined]
            return consultation_dict(actions.take_step(
                request.user, _get(request, consultation_id), name, request=request,
                **data))
        view = with_input
    view.__name__ = f"consultation_{name}"
    view.__doc__ = actions.STEPS[name].__doc__
    router.post(f"/consultations/{{consultation_id}}/{name}", response=ok(ConsultationOut),
                operation_id=f"consultation_{name}")(view)


for _name, _schema in TRANSITION_INPUTS.items():
    _transition(_name, _schema)


@router.put("/consultations/{consultation_id}/report", response=ok(ReportOut))
def save_report(request: HttpRequest,
                consultation_id: uuid.UUID, payload: ReportIn) -> dict[str, Any]:
    report = actions.save_report_draft(request.user, _get(request, consultation_id),
                                       request=request, **payload.dict())
    return report_dict(report)


@router.post("/consultations/{consultation_id}/report/sign", response=ok(ReportOut))
def sign_report(request: HttpRequest, consultation_id: uuid.UUID) -> dict[str, Any]:
    return report_dict(actions.sign_report(request.user, _get(request, consultation_id),
                                           request=request))


@router.get("/consultations/{consultation_id}/reports", response=ok(list[ReportOut]))
def list_reports(request: HttpRequest, consultation_id: uuid.UUID) -> list[dict[str, Any]]:
    """Signed reports for everyone who may read the consultation; drafts for their author."""
    consultation = _get(request, consultation_id)
    audit.record(request.user, "report.read", consultation, request=request)
    return [report_dict(r) for r in queries.readable_reports(request.user, consultation)]


@router.get("/consultations/{consultation_id}/reports/{version}/verify",
            response=ok(VerifyOut))
def verify_report(request: HttpRequest, consultation_id: uuid.UUID, version: int) -> dict[str, Any]:
    return actions.verify_report(request.user, _get(request, consultation_id), version,
                                 request=request)




class RecordingConsentIn(Schema):
    allowed: StrictBool


class RecordingConsentOut(Schema):
    allowed: bool
    recording_permitted: bool


@router.post("/consultations/{consultation_id}/recording-consent",
             response={200: RecordingConsentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def recording_consent(request: HttpRequest,
                      consultation_id: str, payload: RecordingConsentIn) -> dict[str, bool]:
    """A doctor gives or withdraws their own consent to recording the consultation."""
    consultation = actions.get_consultation(request.user, consultation_id, request=request,
                                            audit_read=False)
    consent = set_recording_consent(request.user, consultation, allowed=payload.allowed,
                                    request=request)
    return {"allowed": consent.allowed,
            "recording_permitted": recording_permitted(consultation)}
