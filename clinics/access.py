"""Who may see what: querysets of the consultations and patients a user may read."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from clinics.models import Consultation, Patient, Role, Staff


def staff_of(user) -> Staff | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.staff
    except Staff.DoesNotExist:
        return None


def patient_of(user) -> Patient | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.patient
    except Patient.DoesNotExist:
        return None


def visible_consultations(user) -> QuerySet[Consultation]:
    """Clinic doctors: their institution's; specialists: addressed to them or their
    department; coordinators: their institution's, sent or received; patients: their own."""
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
            return qs.filter(mine)
        if staff.role == Role.COORDINATOR:
            return qs.filter(Q(inviting_institution=staff.institution_id)
                             | Q(invited_institution=staff.institution_id))
    patient = patient_of(user)
    if patient is not None:
        return qs.filter(patient=patient)
    return qs.none()


def visible_patients(user) -> QuerySet[Patient]:
    """Staff see their institution's patients and those of consultations they may see."""
    qs = Patient.objects.select_related("home_institution")
    if getattr(user, "is_superuser", False):
        return qs
    staff = staff_of(user)
    if staff is not None:
        consulted = visible_consultations(user).values("patient_id")
        return qs.filter(Q(home_institution=staff.institution_id) | Q(pk__in=consulted))
    patient = patient_of(user)
    if patient is not None:
        return qs.filter(pk=patient.pk)
    return qs.none()
