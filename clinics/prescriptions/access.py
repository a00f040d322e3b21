"""Who may see a prescription: the patient his own (once approved), the plan's doctors,
and the prescribing institution's pharmacists (once signed). Everyone else gets 404.
"""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from clinics.access import MaybeRequest, User, patient_of, staff_of
from clinics.followups.models import Visit
from clinics.models import Role, Staff
from clinics.prescriptions.models import (
    PATIENT_VISIBLE,
    Prescription,
    RenewalRequest,
    RxStatus,
)
from cloudhospital.core.errors import NotFound
from cloudhospital.security import audit


def _plan_doctors_q(staff: Staff, prefix: str = "") -> Q:
    """The plan's doctors: its responsible doctor and the doctors of its visits."""
    plans = Visit.objects.filter(doctor=staff).values("plan_id")
    return Q(**{f"{prefix}plan__doctor": staff}) | Q(**{f"{prefix}plan__in": plans})


def visible_prescriptions(user: User) -> QuerySet[Prescription]:
    qs = Prescription.objects.select_related("patient", "doctor", "institution", "plan",
                                             "diagnosis")
    if getattr(user, "is_superuser", False):
        return qs
    staff = staff_of(user)
    if staff is not None:
        if staff.is_doctor:
            return qs.filter(_plan_doctors_q(staff) | Q(doctor=staff))
        if staff.role == Role.PHARMACIST:
            return qs.filter(institution=staff.institution_id).exclude(status=RxStatus.DRAFT)
        return qs.none()
    patient = patient_of(user)
    if patient is not None:
        return qs.filter(patient=patient, status__in=PATIENT_VISIBLE)
    return qs.none()


def visible_requests(user: User) -> QuerySet[RenewalRequest]:
    qs = RenewalRequest.objects.select_related("patient", "plan", "prescription")
    staff = staff_of(user)
    if staff is not None and staff.is_doctor:
        return qs.filter(_plan_doctors_q(staff))
    patient = patient_of(user)
    if patient is not None:
        return qs.filter(patient=patient)
    return qs.none()


def get_prescription(user: User, prescription_id: uuid.UUID | str, *,
                     request: MaybeRequest = None, audit_read: bool = True,
                     action: str = "prescription.read") -> Prescription:
    """A prescription the user may see, its read audited; 404 otherwise (no leak)."""
    found = visible_prescriptions(user).filter(pk=prescription_id).first()
    if found is None:
        raise NotFound(_("No such prescription."))
    if audit_read:
        audit.record(user, action, found, request=request)
    return found


def get_request(user: User, request_id: int | str, *,
                request: MaybeRequest = None) -> RenewalRequest:
    found = visible_requests(user).filter(pk=request_id).first()
    if found is None:
        raise NotFound(_("No such renewal request."))
    audit.record(user, "prescription.renewal_request.read", found, request=request)
    return found
