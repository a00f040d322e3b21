"""API shapes shared by every workflow: errors, institutions, staff, patients."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    error: str
    message: str


class InstitutionOut(Schema):
    id: int
    name: str
    care_level: str


class StaffOut(Schema):
    id: int
    name: str
    role: str
    title: str
    specialty: str
    institution: str
    department: str | None
    licence_number: str
    licence_verified: bool


class MeOut(Schema):
    username: str
    kind: str
    staff: StaffOut | None = None
    patient_id: int | None = None


class PatientIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    sex: str = Field(pattern="^[MF]$")
    date_of_birth: dt.date
    national_id: str = Field(min_length=18, max_length=18)
    phone: str = Field(default="", max_length=20)


class PatientOut(Schema):
    id: int
    name: str
    sex: str
    date_of_birth: dt.date
    national_id_masked: str
    home_institution: str
    diagnoses: list[dict]


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}


def ok(model: Any) -> dict[int, Any]:
    """The responses of an endpoint answering ``model``, or any of the 4xx errors."""
    return {200: model, **ERRORS}
