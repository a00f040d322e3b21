"""Who may see whom: the staff or patient behind a user, and the patients a user may read.

Workflows widen a staff member's patients (a specialist sees the patients of the
consultations addressed to them) by registering a *patient source* from their
``AppConfig.ready()``; this module imports no workflow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from clinics.models import Patient, Staff

# Who acts: a signed-in user or the anonymous one (entry points pass request.user), and
# the request an action audits (None when a job or a command acts).
User: TypeAlias = AbstractBaseUser | AnonymousUser  # noqa: UP040 (django-stubs reads it)
MaybeRequest: TypeAlias = HttpRequest | None  # noqa: UP040

# A patient source answers, for a staff user, a queryset of patient ids they may see.
PatientSource = Callable[[User], QuerySet]
_PATIENT_SOURCES: dict[str, PatientSource] = {}


def register_patient_source(name: str, source: PatientSource) -> None:
    """Let a workflow add the patients a staff user sees through it (idempotent by name)."""
    _PATIENT_SOURCES[name] = source


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


def visible_patients(user) -> QuerySet[Patient]:
    """Staff see their institution's patients and those the workflows show them."""
    qs = Patient.objects.select_related("home_institution")
    if getattr(user, "is_superuser", False):
        return qs
    staff = staff_of(user)
    if staff is not None:
        mine = Q(home_institution=staff.institution_id)
        for source in _PATIENT_SOURCES.values():
            mine |= Q(pk__in=source(user))
        return qs.filter(mine)
    patient = patient_of(user)
    if patient is not None:
        return qs.filter(pk=patient.pk)
    return qs.none()
