"""API shapes for consultations: what goes in and what comes out, nothing else."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field

from clinics.schemas import StaffOut
from cloudhospital.core.apitypes import StrictBool


class ConsultationIn(Schema):
    patient_id: int
    invited_institution_id: int
    specialist_id: int | None = None
    department_id: int | None = None
    reason: str = Field(min_length=1, max_length=5000)
    clinical_question: str = Field(min_length=1, max_length=5000)
    record_summary: str = Field(min_length=1, max_length=20000)
    urgency: str = Field(default="routine", pattern="^(routine|urgent)$")
    proposed_times: list[dt.datetime] = Field(default_factory=list, max_length=10)


class ConsentIn(Schema):
    signed_by: str = Field(min_length=1, max_length=100)
    relation: str
    signed_at: dt.datetime
    method: str
    recording_allowed: StrictBool = False


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class ScheduleIn(Schema):
    scheduled_at: dt.datetime


class ReportIn(Schema):
    findings: str = Field(min_length=1, max_length=20000)
    opinion: str = Field(min_length=1, max_length=20000)
    recommendations: str = Field(default="", max_length=20000)


class ReportOut(Schema):
    version: int
    author: str
    findings: str
    opinion: str
    recommendations: str
    signed_at: dt.datetime | None
    signature: str | None


class VerifyOut(Schema):
    version: int
    valid: bool
    signed_at: dt.datetime
    signer: str
    licence_number: str


class ConsultationOut(Schema):
    id: uuid.UUID
    status: str
    urgency: str
    patient: dict[str, Any]
    requested_by: dict[str, Any]
    inviting_institution: str
    invited_institution: str
    invited_department: str | None
    specialist: StaffOut | None
    reason: str
    clinical_question: str
    record_summary: str
    proposed_times: list[str]
    scheduled_at: dt.datetime | None
    decline_reason: str
    cancel_reason: str
    consent: dict[str, Any] | None
    acknowledged_at: dt.datetime | None
    created_at: dt.datetime
