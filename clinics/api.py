"""JSON API for institutions, patients and consultations; thin over ``clinics.actions``."""

import uuid

from django.db.models import Q
from ninja import Query, Router
from ninja import Status as HttpStatus

from clinics import actions
from clinics.access import patient_of, staff_of, visible_consultations, visible_patients
from clinics.models import Department, Institution, Role, Staff, Status
from clinics.presenters import consultation_dict, patient_dict, report_dict, staff_dict
from clinics.schemas import (
    ConsentIn,
    ConsultationIn,
    ConsultationOut,
    ErrorOut,
    InstitutionOut,
    MeOut,
    PatientIn,
    PatientOut,
    ReasonIn,
    ReportIn,
    ReportOut,
    ScheduleIn,
    StaffOut,
    VerifyOut,
)
from cloudhospital.core.errors import InvalidInput, NotFound
from cloudhospital.security import audit

router = Router(tags=["consultations"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}


def _ok(model):
    return {200: model, **ERRORS}


@router.get("/me", response=_ok(MeOut))
def me(request):
    staff, patient = staff_of(request.user), patient_of(request.user)
    kind = staff.role if staff else ("patient" if patient else
                                     ("admin" if request.user.is_superuser else "none"))
    return {"username": request.user.get_username(), "kind": kind,
            "staff": staff_dict(staff), "patient_id": patient.pk if patient else None}


@router.get("/institutions", response=_ok(list[InstitutionOut]))
def institutions(request):
    return list(Institution.objects.all())


@router.get("/specialists", response=_ok(list[StaffOut]))
def specialists(request, institution_id: int | None = None):
    """Specialists a consultation can be addressed to, with their qualification."""
    qs = Staff.objects.filter(role=Role.SPECIALIST).select_related("institution", "department")
    if institution_id is not None:
        qs = qs.filter(institution_id=institution_id)
    return [staff_dict(s) for s in qs]


@router.get("/patients", response=_ok(list[PatientOut]))
def list_patients(request, national_id: str | None = None):
    if national_id is not None:
        return [patient_dict(actions.find_patient_by_national_id(
            request.user, national_id, request=request))]
    patients = list(visible_patients(request.user)[:500])
    audit.record(request.user, "patient.list", object_type="clinics.patient",
                 object_id="*", request=request, count=len(patients))
    return [patient_dict(p) for p in patients]


@router.post("/patients", response={201: PatientOut, **ERRORS})
def create_patient(request, payload: PatientIn):
    patient = actions.register_patient(request.user, request=request, **payload.dict())
    return HttpStatus(201, patient_dict(patient))


@router.get("/patients/{patient_id}", response=_ok(PatientOut))
def get_patient(request, patient_id: int):
    patient = visible_patients(request.user).filter(pk=patient_id).first()
    if patient is None:
        raise NotFound("no such patient")
    audit.record(request.user, "patient.read", patient, request=request)
    return patient_dict(patient)


@router.get("/consultations", response=_ok(list[ConsultationOut]))
def list_consultations(request, status: Query[Status] = None):
    qs = visible_consultations(request.user)
    if status is not None:
        qs = qs.filter(status=status)
    items = [consultation_dict(c) for c in qs[:500]]
    audit.record(request.user, "consultation.list", object_type="clinics.consultation",
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


@router.get("/consultations/{consultation_id}", response=_ok(ConsultationOut))
def get_consultation(request, consultation_id: uuid.UUID):
    return consultation_dict(_get(request, consultation_id, audit_read=True))


@router.post("/consultations/{consultation_id}/consent", response=_ok(ConsultationOut))
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
    router.post(f"/consultations/{{consultation_id}}/{name}", response=_ok(ConsultationOut),
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


@router.put("/consultations/{consultation_id}/report", response=_ok(ReportOut))
def save_report(request, consultation_id: uuid.UUID, payload: ReportIn):
    report = actions.save_report_draft(request.user, _get(request, consultation_id),
                                       request=request, **payload.dict())
    return report_dict(report)


@router.post("/consultations/{consultation_id}/report/sign", response=_ok(ReportOut))
def sign_report(request, consultation_id: uuid.UUID):
    return report_dict(actions.sign_report(request.user, _get(request, consultation_id),
                                           request=request))


@router.get("/consultations/{consultation_id}/reports", response=_ok(list[ReportOut]))
def list_reports(request, consultation_id: uuid.UUID):
    """Signed reports for everyone who may read the consultation; drafts for their author."""
    consultation = _get(request, consultation_id)
    reports = consultation.reports.select_related("author")
    staff = staff_of(request.user)
    mine = Q(author=staff) if staff else Q(pk__in=[])
    audit.record(request.user, "report.read", consultation, request=request)
    return [report_dict(r) for r in reports.filter(Q(signed_at__isnull=False) | mine)]


@router.get("/consultations/{consultation_id}/reports/{version}/verify",
            response=_ok(VerifyOut))
def verify_report(request, consultation_id: uuid.UUID, version: int):
    return actions.verify_report(request.user, _get(request, consultation_id), version,
                                 request=request)


