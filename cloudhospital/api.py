"""The JSON API at /api/v1/ (django-ninja): auth, error shape, and each app's router.

Every error is ``{"error": code, "message": text}`` with a 4xx status.
"""

from __future__ import annotations

import logging

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from cloudhospital.core.errors import DomainError
from cloudhospital.security.tokens import user_for_api_token

log = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """``Authorization: Bearer chk_…`` from ``manage.py create_api_token``."""

    def authenticate(self, request, token):
        user = user_for_api_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(title="CloudHospital API", version="1", urls_namespace="api",
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
    return error(request, 422, "invalid_input", "the request is not valid", detail=detail)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return error(request, 401, "unauthorized", "log in or send a valid bearer token")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error(request, 404, "not_found", "not found")


def _register_routers() -> None:
    """Each app owns a router; adding an app's API is one line here."""
    from clinics.api import router as clinics_router

    api.add_router("/", clinics_router)
    api.add_router("/followups/", "clinics.followups.api.router")
    api.add_router("/", "clinics.prescriptions.api.router")
    api.add_router("/", "signaling.api.router")
    api.add_router("/", "imaging.api.router")


_register_routers()
