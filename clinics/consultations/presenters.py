"""Consultation and report → plain dict, shared by the API and the pages."""

from __future__ import annotations

import base64
from typing import Any

from clinics.consultations.models import Consent, Consultation, Report
from clinics.presenters import staff_dict


def consultation_dict(c: Consultation) -> dict[str, Any]:
    try:
        consent = c.consent
    except Consent.DoesNotExist:
        consent = None
    return {
        "id": c.pk, "status": c.status, "urgency": c.urgency,
        "patient": {"id": c.patient_id, "name": c.patient.name, "sex": c.patient.sex,
                    "date_of_birth": c.patient.date_of_birth.isoformat()},
        "requested_by": {"id": c.requested_by_id, "name": c.requested_by.real_name,
                         "licence_number": c.requested_by.licence_number},
        "inviting_institution": c.inviting_institution.name,
        "invited_institution": c.invited_institution.name,
        "invited_department": c.invited_department.name if c.invited_department else None,
        "specialist": staff_dict(c.specialist),
        "reason": c.reason, "clinical_question": c.clinical_question,
        "record_summary": c.record_summary, "proposed_times": _proposed(c.proposed_times),
        "scheduled_at": c.scheduled_at, "decline_reason": c.decline_reason,
        "cancel_reason": c.cancel_reason,
        "consent": None if consent is None else {
            "signed_by": consent.signed_by, "relation": consent.relation,
            "signed_at": consent.signed_at.isoformat(), "method": consent.method,
            "recording_allowed": consent.recording_allowed},
        "acknowledged_at": c.acknowledged_at, "created_at": c.created_at,
    }


def _proposed(stored: object) -> list[str]:
    """The stored proposed times as strings, whatever the JSON column holds (a page or the
    API must not fail on a row written by hand or by an older version)."""
    if not isinstance(stored, list):
        return []
    return [str(t) for t in stored if isinstance(t, (str, int, float))]


def report_dict(report: Report) -> dict[str, Any]:
    return {"version": report.version, "author": report.author.real_name,
            "findings": report.findings, "opinion": report.opinion,
            "recommendations": report.recommendations, "signed_at": report.signed_at,
            "signature": base64.b64encode(bytes(report.signature)).decode()
            if report.signature else None}
