"""JSON API for consultations; thin over ``clinics.consultations.actions``."""

import uuid

from django.db.models import Q
from ninja import Query, Router, Schema
from ninja import Status as HttpStatus

from clinics.access import staff_of, visible_patients
from clinics.consultations import actions
from clinics.consultations.access import visible_consultations
from clinics.consultations.consent import recording_permitted, set_recording_consent
from clinics.consultations.models import Status
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
from clinics.models import Department, Institution, Role, Staff
from clinics.schemas import ERRORS, ErrorOut, ok
from cloudhospital.core.errors import InvalidInput
from cloudhospital.security import audit

router = Router(tags=["consultations"])


@router.get("/consultations", response=ok(list[ConsultationOut]))
def list_consultations(request, status: Query[Status] = None):
    qs = visible_consultations(request.user)
    if status is not None:
        qs = qs.filter(status=status)
    items = [consultation_dict(c) for c in qs[:500]]
    audit.record(request.user, "consultation.list", object_type="consultations.consultation",
                 object_id="*", request=request, count=len(items))
    return items


def _lookup(model, pk, **filters):
    if pk is None:
        return None
    found = model.objects.filter(pk=pk, **filters).first()
    if found is None:
        raise InvalidInput(f"unknown {model._meta.model_name} {pk}")
    return found


@router.post("/consultations", response={201: ConsultationOut, **ERRORS})
def create_consultation(request, payload: ConsultationIn):
    patient = visible_patients(request.user).filter(pk=payload.patient_id).first()
    if patient is None:
        raise InvalidInput("unknown patient", field="patient_id")
    details = actions.RequestDetails(
        patient=patient,
        invited_institution=_lookup(Institution, payload.invited_institution_id),
        specialist=_lookup(Staff, payload.specialist_id, role=Role.SPECIALIST),
        department=_lookup(Department, payload.department_id),
        reason=payload.reason, clinical_question=payload.clinical_question,
        record_summary=payload.record_summary, urgency=payload.urgency,
        proposed_times=payload.proposed_times)
    consultation = actions.create_request(request.user, details, request=request)
    return HttpStatus(201, consultation_dict(consultation))


def _get(request, consultation_id: uuid.UUID, audit_read: bool = False):
    return actions.get_consultation(request.user, consultation_id, request=request,
                                    audit_read=audit_read)


@router.get("/consultations/{consultation_id}", response=ok(ConsultationOut))
def get_consultation(request, consultation_id: uuid.UUID):
    return consultation_dict(_get(request, consultation_id, audit_read=True))


@router.post("/consultations/{consultation_id}/consent", response=ok(ConsultationOut))
def consent(request, consultation_id: uuid.UUID, payload: ConsentIn):
    consultation = _get(request, consultation_id)
    actions.record_consent(request.user, consultation, request=request, **payload.dict())
    return consultation_dict(_get(request, consultation_id))


def _transition(name: str, action, schema=None):
    """Register POST /consultations/{id}/<name> calling ``action``."""
    if schema is None:
        def view(request, consultation_id: uuid.UUID):
            consultation = action(request.user, _get(request, consultation_id), request=request)
            return consultation_dict(consultation)
    else:
        def view(request, consultation_id: uuid.UUID, payload: schema):
            consultation = action(request.user, _get(request, consultation_id),
                                  request=request, **payload.dict())
            return consultation_dict(consultation)
    view.__name__ = f"consultation_{name}"
    view.__doc__ = action.__doc__
    router.post(f"/consultations/{{consultation_id}}/{name}", response=ok(ConsultationOut),
                operation_id=f"consultation_{name}")(view)


def _schedule(user, consultation, *, scheduled_at, request=None):
    return actions.schedule(user, consultation, when=scheduled_at, request=request)


_transition("submit", actions.submit_request)
_transition("accept", actions.accept)
_transition("decline", actions.decline, ReasonIn)
_transition("schedule", _schedule, ScheduleIn)
_transition("start", actions.start)
_transition("complete", actions.complete)
_transition("cancel", actions.cancel, ReasonIn)
_transition("acknowledge", actions.acknowledge_report)


@router.put("/consultations/{consultation_id}/report", response=ok(ReportOut))
def save_report(request, consultation_id: uuid.UUID, payload: ReportIn):
    report = actions.save_report_draft(request.user, _get(request, consultation_id),
                                       request=request, **payload.dict())
    return report_dict(report)


@router.post("/consultations/{consultation_id}/report/sign", response=ok(ReportOut))
def sign_report(request, consultation_id: uuid.UUID):
    return report_dict(actions.sign_report(request.user, _get(request, consultation_id),
                                           request=request))


@router.get("/consultations/{consultation_id}/reports", response=ok(list[ReportOut]))
def list_reports(request, consultation_id: uuid.UUID):
    """Signed reports for everyone who may read the consultation; drafts for their author."""
    consultation = _get(request, consultation_id)
    reports = consultation.reports.select_related("author")
    staff = staff_of(request.user)
    mine = Q(author=staff) if staff else Q(pk__in=[])
    audit.record(request.user, "report.read", consultation, request=request)
    return [report_dict(r) for r in reports.filter(Q(signed_at__isnull=False) | mine)]


@router.get("/consultations/{consultation_id}/reports/{version}/verify",
            response=ok(VerifyOut))
def verify_report(request, consultation_id: uuid.UUID, version: int):
    return actions.verify_report(request.user, _get(request, consultation_id), version,
                                 request=request)




class RecordingConsentIn(Schema):
    allowed: bool


class RecordingConsentOut(Schema):
    allowed: bool
    recording_permitted: bool


@router.post("/consultations/{consultation_id}/recording-consent",
             response={200: RecordingConsentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def recording_consent(request, consultation_id: str, payload: RecordingConsentIn):
    """A doctor gives or withdraws their own consent to recording the consultation."""
    consultation = actions.get_consultation(request.user, consultation_id, request=request,
                                            audit_read=False)
    consent = set_recording_consent(request.user, consultation, allowed=payload.allowed,
                                    request=request)
    return {"allowed": consent.allowed,
            "recording_permitted": recording_permitted(consultation)}
