"""Shared actions: patients, and the role checks every workflow's actions use.

Every function takes the acting user first, checks what that user may do, changes the
database in one transaction and writes an audit entry.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext

from clinics import patient_names
from clinics.access import staff_of, visible_patients
from clinics.idcard import validate_national_id
from clinics.models import Patient, PatientNameToken, Role, Staff
from cloudhospital.core.errors import InvalidInput, NotAllowed, NotFound
from cloudhospital.security import audit
from cloudhospital.security.crypto import lookup_hash


def require_staff(user, *roles: str) -> Staff:
    """The user's staff record, or NotAllowed when they hold none of ``roles``."""
    staff = staff_of(user)
    if staff is None or (roles and staff.role not in roles):
        raise NotAllowed("this action needs a staff role: " + ", ".join(roles))
    return staff


def require_licence(staff: Staff) -> None:
    """Doctors act only with a verified practising licence (real-name rule)."""
    if not staff.may_practise:
        raise NotAllowed(gettext(
            "a verified practising licence number is required (real-name rule)"))


# --- patients -----------------------------------------------------------------------------

def register_patient(user, *, name: str, sex: str, date_of_birth: dt.date, national_id: str,
                     phone: str = "", request=None) -> Patient:
    staff = require_staff(user, Role.CLINIC_DOCTOR, Role.COORDINATOR)
    try:
        number = validate_national_id(national_id)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="national_id") from exc
    if not name.strip():
        raise InvalidInput(gettext("name is required"), field="name")
    if Patient.objects.filter(national_id_hash=lookup_hash(number)).exists():
        raise InvalidInput(gettext("a patient with this national ID is already registered"),
                           field="national_id")
    with transaction.atomic():
        patient = Patient.objects.create(
            home_institution=staff.institution, name=name.strip(), sex=sex,
            date_of_birth=date_of_birth, national_id=number,
            national_id_hash=lookup_hash(number), phone=phone.strip())
        audit.record(user, "patient.create", patient, request=request)
    return patient


def find_patient_by_national_id(user, national_id: str, *, request=None) -> Patient:
    try:
        number = validate_national_id(national_id)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="national_id") from exc
    patient = visible_patients(user).filter(national_id_hash=lookup_hash(number)).first()
    if patient is None:
        raise NotFound(gettext("no such patient"))
    audit.record(user, "patient.lookup", patient, request=request)
    return patient


SEARCH_LIMIT = 200  # matches decrypted and sorted in Python per search, at most


def search_patients_by_name(user, text: str | None, *, exact: bool = False,
                            request=None) -> list[Patient]:
    """The visible patients whose name starts with ``text`` (or is ``text``, ``exact``).

    Names are encrypted: SQL matches keyed hashes only (``clinics.patient_names``), then
    at most SEARCH_LIMIT matches are decrypted, checked (a prefix longer than the tokens
    cover) and sorted by name in Python. The audit entry records the count, never the
    searched text.
    """
    term = patient_names.search_term(text)
    qs = visible_patients(user)
    if exact:
        qs = qs.filter(name_hash=patient_names.name_hash(term))
    else:
        holders = PatientNameToken.objects.filter(
            token=patient_names.prefix_token(term)).values("patient_id")
        qs = qs.filter(pk__in=holders)
    found = [p for p in qs.order_by("pk")[:SEARCH_LIMIT]
             if exact or patient_names.normalise(p.name).startswith(term)]
    found.sort(key=lambda p: (patient_names.normalise(p.name), p.pk))
    audit.record(user, "patient.search", object_type="clinics.patient", object_id="*",
                 request=request, count=len(found), exact=exact)
    return found
