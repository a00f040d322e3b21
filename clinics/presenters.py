"""Model → plain dict, shared by the API and the pages."""

from __future__ import annotations

from clinics.models import Patient, Staff


def staff_dict(staff: Staff | None) -> dict | None:
    if staff is None:
        return None
    return {"id": staff.pk, "name": staff.real_name, "role": staff.role, "title": staff.title,
            "specialty": staff.specialty, "institution": staff.institution.name,
            "department": staff.department.name if staff.department else None,
            "licence_number": staff.licence_number, "licence_verified": staff.licence_verified}


def patient_dict(patient: Patient) -> dict:
    return {"id": patient.pk, "name": patient.name, "sex": patient.sex,
            "date_of_birth": patient.date_of_birth,
            "national_id_masked": patient.masked_national_id,
            "home_institution": patient.home_institution.name,
            "diagnoses": [{"icd10": d.icd10, "name": d.name,
                           "diagnosed_on": d.diagnosed_on.isoformat(),
                           "institution": d.institution.name, "in_person": d.in_person}
                          for d in patient.diagnoses.select_related("institution")]}
