"""API shapes for referrals: what goes in and what comes out, nothing else.

Sizes are checked here (before any work) and again, with NUL bytes, in actions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field


class DiagnosisIn(Schema):
    icd10: str = Field(min_length=3, max_length=10)
    name: str = Field(min_length=1, max_length=100)


class FollowUpIn(Schema):
    condition: str = Field(min_length=3, max_length=10)
    interval_days: int | None = Field(default=None, ge=1, le=366)
    targets: str = Field(default="", max_length=2000)


class ReferralIn(Schema):
    patient_id: int
    direction: str = Field(pattern="^(up|down)$")
    to_institution_id: int
    to_department_id: int | None = None
    to_doctor_id: int | None = None
    urgency: str = Field(default="routine", pattern="^(routine|urgent)$")
    reason: str = Field(min_length=1, max_length=5000)
    summary: str = Field(min_length=1, max_length=20000)
    medication: str = Field(default="", max_length=5000)
    consultation_id: uuid.UUID | None = None
    discharge_summary: str = Field(default="", max_length=20000)
    diagnoses: list[DiagnosisIn] = Field(default_factory=list, max_length=20)
    followup: FollowUpIn | None = None


class ConsentIn(Schema):
    signed_by: str = Field(min_length=1, max_length=100)
    relation: str = Field(max_length=20)
    signed_at: dt.datetime
    method: str = Field(max_length=20)


class AdmissionIn(Schema):
    ward: str = Field(min_length=1, max_length=100)
    admit_at: dt.datetime | None = None


class AcceptIn(Schema):
    appointment_at: dt.datetime | None = None
    admission: AdmissionIn | None = None
    location: str = Field(default="", max_length=200)
    bring: str = Field(default="", max_length=2000)


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class CompleteIn(Schema):
    discharge_summary: str = Field(default="", max_length=20000)
    diagnoses: list[DiagnosisIn] = Field(default_factory=list, max_length=20)
    treatment: str = Field(default="", max_length=20000)
    medication: str = Field(default="", max_length=5000)
    advice: str = Field(default="", max_length=5000)


class ReferralItemOut(Schema):
    id: uuid.UUID
    status: str
    direction: str
    urgency: str
    patient: dict[str, Any]
    from_institution: dict[str, Any]
    to_institution: dict[str, Any]
    answer_due_at: dt.datetime | None
    appointment: dict[str, Any] | None
    created_at: dt.datetime


class ReferralOut(ReferralItemOut):
    requested_by: dict[str, Any]
    to_department: str | None
    to_doctor: str | None
    accepted_by: str | None
    consultation_id: uuid.UUID | None
    report: dict[str, Any] | None
    reason: str
    summary: str
    medication: str
    discharge_summary: str
    diagnoses: list[dict[str, Any]]
    treatment: str
    discharge_medication: str
    advice: str
    followup: dict[str, Any] | None
    consent: dict[str, Any] | None
    escalated_at: dt.datetime | None
    decline_reason: str
    cancel_reason: str
    requested_at: dt.datetime | None
    accepted_at: dt.datetime | None
    arrived_at: dt.datetime | None
    closed_at: dt.datetime | None
