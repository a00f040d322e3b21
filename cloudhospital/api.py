"""The JSON API at /api/v1/ (django-ninja): auth, error shape, and each app's router.

Every error is ``{"error": code, "message": text}`` with a 4xx status.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from cloudhospital.core.errors import DomainError
from cloudhospital.security.crypto import DecryptionError
from cloudhospital.security.tokens import user_for_api_token

log = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """``Authorization: Bearer chk_…`` from ``manage.py create_api_token``."""

    def authenticate(self, request, token):
        user = user_for_api_token(token)
        if user is not None:
            request.user = user
        return user


# What any operation may answer besides its own results, whatever its handler declares:
# the edge answers these for every route (auth, body budget, NUL and range checks, ids that
# do not exist or may not be seen, domain rules). Declared so the document tells the truth.
COMMON_ERRORS = {
    "400": "malformed request",
    "401": "not authenticated",
    "403": "not allowed",
    "404": "not found, or not visible to this user",
    "409": "conflicts with the record's current state",
    "413": "request body over the limit",
    "422": "invalid input (including NUL characters and out-of-range numbers)",
}
ERROR_SCHEMA = {"type": "object", "required": ["error", "message"],
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}


class CloudHospitalAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                responses = operation.setdefault("responses", {})
                for status, description in COMMON_ERRORS.items():
                    responses.setdefault(status, {
                        "description": description,
                        "content": {"application/json": {"schema": ERROR_SCHEMA}}})
        return schema


api = CloudHospitalAPI(title="CloudHospital API", version="1", urls_namespace="api",
               auth=[BearerToken(), django_auth],
               description="Teleconsultation, imaging and follow-up for Shenyang cloud clinics.")


def error(request, http_status: int, code: str, message: str, **extra):
    return api.create_response(request, {"error": code, "message": message, **extra},
                               status=http_status)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return error(request, exc.status, exc.code, exc.message, **exc.extra)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    detail = [{"loc": [str(p) for p in e.get("loc", [])], "msg": str(e.get("msg", ""))}
              for e in exc.errors]
    return error(request, 422, "invalid_input", gettext("the request is not valid"), detail=detail)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return error(request, 401, "unauthorized", gettext("log in or send a valid bearer token"))


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(DecryptionError)
def on_unreadable_record(request, exc):
    """A stored envelope failed authentication (altered in the database, or its key is no
    longer configured): detected and refused, never shown as garbage, never a 500."""
    log.error("an encrypted record failed authentication on %s: %s", request.path, exc)
    return error(request, 409, "record_unreadable",
                 "a stored record failed its integrity check; tell the administrator")


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def on_out_of_range(request, exc):
    """An integer past the database's range (SQLite: OverflowError, PostgreSQL: DataError)."""
    return error(request, 422, "invalid_input", gettext("a value is out of range for this field"))


@api.exception_handler(DjangoValidationError)
def on_model_validation_error(request, exc):
    """A value a model field cannot hold, e.g. ``not-a-uuid`` as a consultation id."""
    return error(request, 422, "invalid_input", gettext("a value is not valid for this field"))


@api.exception_handler(RecursionError)
def on_too_deep(request, exc):
    """JSON nested deeper than the parser goes (``[[[[…]]]]`` in a 2 MiB body)."""
    return error(request, 422, "invalid_input", gettext("the JSON document is nested too deeply"))


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request, exc):
    return error(request, 413, "body_too_large",
                 gettext("the request body is larger than the limit"))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error(request, 404, "not_found", gettext("not found"))


def _register_routers() -> None:
    """Each app owns a router; adding an app's API is one line here."""
    api.add_router("/", "clinics.api.router")
    api.add_router("/", "clinics.consultations.api.router")
    api.add_router("/followups/", "clinics.followups.api.router")
    api.add_router("/referrals", "clinics.referrals.api.router")
    api.add_router("/", "clinics.prescriptions.api.router")
    api.add_router("/", "signaling.api.router")
    api.add_router("/", "imaging.api.router")


_register_routers()
