"""HTTP bodies are measured, and API callers authenticated, before a byte is read.

Django's ASGI handler reads a whole request body (spooling it to disk) before any
middleware or view runs, so a limit checked in Django comes too late: a 30 MB JSON body
was read in full and then a 500. This ASGI layer sits in front of Django:

- a declared Content-Length over the budget for that request is answered 413 at once;
- a body without Content-Length (chunked) is counted while it arrives and cut off at the
  budget with the same 413;
- a request with a body to /api/ whose bearer token or session is not valid is answered
  401 before the body is read (a 200 MiB anonymous body costs nothing).

Budgets (settings, docs/security.md): HTTP_BODY_MAX_BYTES for ordinary requests (forms,
JSON), HTTP_UPLOAD_MAX_BYTES for multipart file uploads on pages, DICOMWEB_MAX_STOW_BYTES
for /dicomweb/. Programs (/api/, /dicomweb/) get the JSON error shape, people a page.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie

from channels.db import database_sync_to_async
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

MACHINE_PREFIXES = ("/api/", "/dicomweb/")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def budget_for(path: str, content_type: str | None) -> int:
    """The most bytes a body to ``path`` with this content type may hold."""
    if path.startswith("/dicomweb/"):
        return settings.DICOMWEB_MAX_STOW_BYTES
    if (content_type or "").lower().startswith("multipart/form-data") and \
            not path.startswith("/api/"):
        return settings.HTTP_UPLOAD_MAX_BYTES
    return settings.HTTP_BODY_MAX_BYTES


def body_budget(scope) -> int:
    return budget_for(scope.get("path", ""), _header(scope, b"content-type"))


def _cookies(cookie_header: str | None) -> SimpleCookie:
    cookie = SimpleCookie()
    try:
        cookie.load(cookie_header or "")
    except Exception:  # noqa: BLE001 - a malformed cookie header counts as no cookie
        return SimpleCookie()
    return cookie


def _language(cookie_header: str | None) -> str:
    chosen = _cookies(cookie_header).get(settings.LANGUAGE_COOKIE_NAME)
    codes = {code for code, _name in settings.LANGUAGES}
    return chosen.value if chosen is not None and chosen.value in codes \
        else settings.LANGUAGE_CODE


def refusal(path: str, status: int, code: str, message: str,
            cookie_header: str | None) -> tuple[bytes, bytes]:
    """(content type, body) of a refusal: the JSON error for programs, a page for people."""
    if path.startswith(MACHINE_PREFIXES):
        return b"application/json", json.dumps({"error": code, "message": message}).encode()
    with translation.override(_language(cookie_header)):
        body = render_to_string(f"{status}.html", {"limit": message}).encode()
    return b"text/html; charset=utf-8", body


def carries_credentials(authorization: str | None, cookie_header: str | None) -> bool:
    """Whether a request even claims to be authenticated (no database needed)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return True
    return _cookies(cookie_header).get(settings.SESSION_COOKIE_NAME) is not None


async def _answer(send, scope, status: int, code: str, message: str) -> None:
    content_type, body = refusal(scope.get("path", ""), status, code, message,
                                 _header(scope, b"cookie"))
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> str:
    return f"the request body is larger than the limit of {limit} bytes"


@database_sync_to_async
def _has_valid_credentials(scope) -> bool:
    """The same credentials the API accepts: a live bearer token or a logged-in session."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.base import SessionBase
    from django.utils.module_loading import import_string

    from cloudhospital.security.tokens import user_for_api_token

    authorization = _header(scope, b"authorization") or ""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return user_for_api_token(token.strip()) is not None
    morsel = _cookies(_header(scope, b"cookie")).get(settings.SESSION_COOKIE_NAME)
    if morsel is None:
        return False
    store: SessionBase = import_string(settings.SESSION_ENGINE + ".SessionStore")(morsel.value)
    return store.get(SESSION_KEY) is not None


class BodyBudget:
    """ASGI middleware in front of Django's HTTP handler (cloudhospital/asgi.py)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = body_budget(scope)
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return await _answer(send, scope, 400, "bad_request",
                                     "Content-Length is not a number")
            if int(declared) > limit:
                return await _answer(send, scope, 413, "body_too_large", _too_large(limit))
        has_body = (declared is not None and int(declared) > 0) or \
            _header(scope, b"transfer-encoding") is not None
        if has_body and scope.get("method") in BODY_METHODS and \
                scope.get("path", "").startswith("/api/") and \
                not await _has_valid_credentials(scope):
            return await _answer(send, scope, 401, "unauthorized",
                                 "log in or send a valid bearer token")
        return await self.app(scope, self._counting(receive, send, scope, limit), send)

    @staticmethod
    def _counting(receive, send, scope, limit):
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django has sent nothing yet (it reads the whole body first): answer for
                    # it, and tell it the client went away so it stops reading.
                    await _answer(send, scope, 413, "body_too_large", _too_large(limit))
                    return {"type": "http.disconnect"}
            return message

        return counted
