"""Who may see which consultation."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from clinics.access import User, patient_of, staff_of
from clinics.consultations.models import Consultation
from clinics.models import Role


def sent(prefix: str = "") -> Q:
    """Consultations that have been sent (``submit_request`` stamps ``requested_at``).

    Until then a request is the inviting side's draft: the invited specialist, department
    and coordinator do not see it, its patient or the studies attached to it (a draft
    cancelled before sending is never seen by them either)."""
    return Q(**{f"{prefix}requested_at__isnull": False})


def visible_consultations(user: User) -> QuerySet[Consultation]:
    """Clinic doctors: their institution's; specialists: sent and addressed to them or
    their department; coordinators: their institution's, sent by it (drafts included) or
    received (once sent); patients: their own."""
    qs = Consultation.objects.select_related(
        "patient", "requested_by", "specialist", "inviting_institution",
        "invited_institution", "invited_department")
    if getattr(user, "is_superuser", False):
        return qs
    staff = staff_of(user)
    if staff is not None:
        if staff.role == Role.CLINIC_DOCTOR:
            return qs.filter(inviting_institution=staff.institution_id)
        if staff.role == Role.SPECIALIST:
            mine = Q(specialist=staff)
            if staff.department_id:
                mine |= Q(specialist__isnull=True, invited_department=staff.department_id)
            return qs.filter(mine & sent())
        if staff.role == Role.COORDINATOR:
            return qs.filter(Q(inviting_institution=staff.institution_id)
                             | (Q(invited_institution=staff.institution_id) & sent()))
    patient = patient_of(user)
    if patient is not None:
        return qs.filter(patient=patient)
    return qs.none()


def consulted_patients(user: User) -> QuerySet[Any, Any]:
    """Ids of the patients of the consultations ``user`` may see (a patient source)."""
    return visible_consultations(user).values("patient_id")
