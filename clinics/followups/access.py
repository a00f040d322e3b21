"""Who may act on which follow-up object: the checks the actions, API and pages share."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from clinics.access import patient_of, staff_of
from clinics.followups.models import Visit
from clinics.models import CloudClinic, Patient, Staff
from cloudhospital.core.errors import InvalidInput, NotAllowed, NotFound


def require_doctor(user) -> Staff:
    """The calling doctor, or NotAllowed."""
    staff = staff_of(user)
    if staff is None or not staff.is_doctor:
        raise NotAllowed(gettext("only doctors run a follow-up waiting room"))
    return staff


def patient_for(user) -> Patient:
    """The calling patient, or NotAllowed."""
    patient = patient_of(user)
    if patient is None:
        raise NotAllowed(gettext("only patients book their own follow-up visits"))
    return patient


MAX_ID = 2**63 - 1  # the largest id a database integer column holds


def visit_id_of(raw: object) -> int:
    """A visit id from a URL, or NotFound: ASCII digits only (``"²".isdigit()`` is true but
    ``int("²")`` fails) and within a database integer (a longer one overflowed: a 500)."""
    text = str(raw)
    if not (text.isascii() and text.isdigit() and len(text) <= 19) or int(text) > MAX_ID:
        raise NotFound("no such visit")
    return int(text)


def own_visit(user, visit_id: int) -> Visit:
    """The caller's own visit, locked for an update (call inside a transaction)."""
    patient = patient_for(user)
    visit = (Visit.objects.select_for_update(of=("self",)).select_related("slot", "plan")
             .filter(pk=visit_id, patient=patient).first())
    if visit is None:
        raise NotFound(gettext("no such appointment"))
    return visit


def clinic_of(doctor: Staff, clinic_id: int | None) -> CloudClinic | None:
    """A cloud clinic of the doctor's institution (None for none), or InvalidInput."""
    if clinic_id is None:
        return None
    clinic = CloudClinic.objects.filter(pk=clinic_id, institution=doctor.institution_id).first()
    if clinic is None:
        raise InvalidInput(gettext("unknown cloud clinic of your institution"), field="clinic_id")
    return clinic


def visible_visits(user) -> QuerySet[Visit]:
    """Patients: their own; doctors: theirs and their institution's patients'."""
    qs = Visit.objects.select_related("slot", "plan", "patient", "doctor")
    if getattr(user, "is_superuser", False):
        return qs
    staff = staff_of(user)
    if staff is not None:
        return qs.filter(Q(doctor=staff) | Q(plan__doctor=staff)
                         | Q(patient__home_institution=staff.institution_id))
    patient = patient_of(user)
    if patient is not None:
        return qs.filter(patient=patient)
    return qs.none()
