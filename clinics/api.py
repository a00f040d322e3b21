"""JSON API for institutions, staff and patients; thin over ``clinics.actions``."""

from django.utils.translation import gettext
from ninja import Router
from ninja import Status as HttpStatus

from clinics import actions
from clinics.access import patient_of, staff_of, visible_patients
from clinics.models import Institution, Role, Staff
from clinics.presenters import patient_dict, staff_dict
from clinics.schemas import (
    ERRORS,
    InstitutionOut,
    MeOut,
    PatientIn,
    PatientOut,
    StaffOut,
    ok,
)
from cloudhospital.core.errors import NotFound
from cloudhospital.security import audit

router = Router(tags=["institutions and patients"])


@router.get("/me", response=ok(MeOut))
def me(request):
    staff, patient = staff_of(request.user), patient_of(request.user)
    kind = staff.role if staff else ("patient" if patient else
                                     ("admin" if request.user.is_superuser else "none"))
    return {"username": request.user.get_username(), "kind": kind,
            "staff": staff_dict(staff), "patient_id": patient.pk if patient else None}


@router.get("/institutions", response=ok(list[InstitutionOut]))
def institutions(request):
    return list(Institution.objects.all())


@router.get("/specialists", response=ok(list[StaffOut]))
def specialists(request, institution_id: int | None = None):
    """Specialists a consultation can be addressed to, with their qualification."""
    qs = Staff.objects.filter(role=Role.SPECIALIST).select_related("institution", "department")
    if institution_id is not None:
        qs = qs.filter(institution_id=institution_id)
    return [staff_dict(s) for s in qs]


@router.get("/patients", response=ok(list[PatientOut]))
def list_patients(request, national_id: str | None = None, name: str | None = None,
                  exact: bool = False):
    """All visible patients; or one by national ID; or those whose name starts with
    ``name`` (``exact=true``: whose name is ``name``), sorted by name."""
    if name is not None:
        return [patient_dict(p) for p in actions.search_patients_by_name(
            request.user, name, exact=exact, request=request)]
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


@router.get("/patients/{patient_id}", response=ok(PatientOut))
def get_patient(request, patient_id: int):
    patient = visible_patients(request.user).filter(pk=patient_id).first()
    if patient is None:
        raise NotFound(gettext("no such patient"))
    audit.record(request.user, "patient.read", patient, request=request)
    return patient_dict(patient)
