"""Referral → plain dict, shared by the API and the pages."""

from __future__ import annotations

from typing import Any

from clinics.consultations.models import Report
from clinics.referrals.models import Referral, ReferralConsent


def _name(obj: object | None, attr: str = "name") -> Any:
    return getattr(obj, attr) if obj is not None else None


def consent_of(referral: Referral) -> ReferralConsent | None:
    try:
        return referral.consent
    except ReferralConsent.DoesNotExist:
        return None


def consultation_report(referral: Referral) -> Report | None:
    """The linked consultation's latest signed report, which the referral carries."""
    if referral.consultation_id is None:
        return None
    return (Report.objects.filter(consultation_id=referral.consultation_id,
                                  signed_at__isnull=False)
            .select_related("author").order_by("-version").first())


def referral_dict(r: Referral) -> dict[str, Any]:
    consent = consent_of(r)
    report = consultation_report(r)
    return {
        "id": r.pk, "status": r.status, "direction": r.direction, "urgency": r.urgency,
        "patient": {"id": r.patient_id, "name": r.patient.name, "sex": r.patient.sex,
                    "date_of_birth": r.patient.date_of_birth.isoformat()},
        "requested_by": {"id": r.requested_by_id, "name": r.requested_by.real_name,
                         "licence_number": r.requested_by.licence_number},
        "from_institution": {"id": r.from_institution_id, "name": r.from_institution.name},
        "to_institution": {"id": r.to_institution_id, "name": r.to_institution.name},
        "to_department": _name(r.to_department),
        "to_doctor": _name(r.to_doctor, "real_name"),
        "accepted_by": _name(r.accepted_by, "real_name"),
        "consultation_id": r.consultation_id,
        "report": None if report is None else {
            "version": report.version, "author": report.author.real_name,
            "findings": report.findings, "opinion": report.opinion,
            "recommendations": report.recommendations, "signed_at": report.signed_at},
        "reason": r.reason, "summary": r.summary, "medication": r.medication,
        "discharge_summary": r.discharge_summary, "diagnoses": list(r.diagnoses),
        "treatment": r.treatment, "discharge_medication": r.discharge_medication,
        "advice": r.advice,
        "followup": None if not r.followup_condition else {
            "condition": r.followup_condition, "interval_days": r.followup_interval_days,
            "targets": r.followup_targets, "plan_id": r.followup_plan_id},
        "consent": None if consent is None else {
            "signed_by": consent.signed_by, "relation": consent.relation,
            "signed_at": consent.signed_at, "method": consent.method},
        "answer_due_at": r.answer_due_at, "escalated_at": r.escalated_at,
        "appointment": None if not r.appointment_kind else {
            "kind": r.appointment_kind, "at": r.appointment_at, "ward": r.ward,
            "location": r.location, "bring": r.what_to_bring},
        "decline_reason": r.decline_reason, "cancel_reason": r.cancel_reason,
        "created_at": r.created_at, "requested_at": r.requested_at,
        "accepted_at": r.accepted_at, "arrived_at": r.arrived_at, "closed_at": r.closed_at,
    }
