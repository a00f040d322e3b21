"""Request hygiene before any view runs: proxy headers, language."""

from __future__ import annotations

import json
import re

from django.utils.translation import gettext

from cloudhospital.security.clientip import is_trusted_proxy, parse_ip

PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                 "HTTP_X_FORWARDED_PORT", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


class TrustedProxyMiddleware:
    """Forget the X-Forwarded-* headers of a peer that is not in TRUSTED_PROXIES.

    Nothing later (SECURE_PROXY_SSL_HEADER, a library, a future view) can then be fooled by
    a header a client wrote itself; clientip.client_ip checks the peer again regardless.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(parse_ip(request.META.get("REMOTE_ADDR"))):
            for header in PROXY_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


class ChineseByDefaultMiddleware:
    """Drop the browser's Accept-Language so LocaleMiddleware falls back to LANGUAGE_CODE.

    Clinic computers often run English-language browsers; the platform speaks Chinese to
    them anyway. English is chosen with the language switch (a cookie), which still applies.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


# The widest integer column (bigint); a larger number in any input is refused as such,
# the same on SQLite (OverflowError) and PostgreSQL (no match, or DataError).
INT_MAX = 2**63 - 1
_INTEGER = re.compile(r"[+-]?\d+")
_LONG_DIGITS = re.compile(rb"\d{19,}")


def _out_of_range(value) -> bool:
    """A JSON integer beyond a database integer (strings are text, whatever their digits)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -INT_MAX - 1 <= value <= INT_MAX
    if isinstance(value, dict):
        return any(_out_of_range(v) for v in value.values())
    if isinstance(value, list):
        return any(_out_of_range(item) for item in value)
    return False


def _query_number_out_of_range(value: str) -> bool:
    """A query parameter written as an integer that no database integer can hold."""
    value = value.strip()
    return len(value) >= 19 and bool(_INTEGER.fullmatch(value)) and \
        not -INT_MAX - 1 <= int(value) <= INT_MAX


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _refuse(request, status_for_api: int, code: str, message: str):
    from django.http import JsonResponse

    from cloudhospital.core.views import bad_request

    if request.path.startswith("/api/"):
        return JsonResponse({"error": code, "message": message}, status=status_for_api)
    if request.path.startswith("/dicomweb/"):
        return JsonResponse({"error": code, "message": message}, status=400)
    return bad_request(request)


class HostileInputMiddleware:
    """Refuse what no field may hold, and what no database column can: one generic layer.

    - a NUL character anywhere in the path, a query parameter, a form field or a JSON string
      (PostgreSQL text cannot store one: that was a 500 on every text input);
    - an integer beyond a database bigint in a query parameter (outside /dicomweb/, whose
      values are DICOM strings) or as a JSON number: refused up front, so SQLite
      (OverflowError) and PostgreSQL (an empty match, or DataError) answer alike;
    - OverflowError and DataError raised by a view anyway: the client's input, so 4xx.
    API answers 422 with the JSON error shape, DICOMweb 400 JSON, pages the 400 page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import RequestDataTooBig

        try:
            problem = self._problem(request)
        except RequestDataTooBig:  # a body that reached Django without the ASGI budget
            return _refuse(request, 413, "body_too_large",
                           gettext("the request body is larger than the limit"))
        if problem:
            return _refuse(request, 422, "invalid_input", problem)
        return self.get_response(request)

    @classmethod
    def _problem(cls, request) -> str | None:
        if cls._carries_nul(request):
            return gettext("NUL characters are not allowed in any input")
        # DICOMweb query values are DICOM strings (a PatientID may be 20 digits): not numbers.
        if not request.path.startswith("/dicomweb/") and any(
                _query_number_out_of_range(v) for key in request.GET
                for v in request.GET.getlist(key)):
            return gettext("a number is out of range")
        if (request.content_type == "application/json" or
                (request.content_type or "").endswith("+json")) and \
                _LONG_DIGITS.search(request.body):
            try:
                document = json.loads(request.body)
            except (ValueError, RecursionError):
                return None  # not JSON we can read: the view refuses it as such
            if _out_of_range(document):
                return gettext("a number is out of range")
        return None

    @staticmethod
    def _carries_nul(request) -> bool:
        if "\x00" in request.path:
            return True
        if any(_has_nul(key) or any(_has_nul(v) for v in request.GET.getlist(key))
               for key in request.GET):
            return True
        content_type = request.content_type or ""
        if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            post = request.POST
            return any(_has_nul(key) or any(_has_nul(v) for v in post.getlist(key))
                       for key in post)
        if content_type == "application/json" or content_type.endswith("+json"):
            body = request.body
            if b"\x00" in body:
                return True
            if b"\\u0000" in body.lower():
                try:
                    return _has_nul(json.loads(body))
                except (ValueError, RecursionError):
                    return False  # not JSON we can read: the view refuses it as such
        return False

    def process_exception(self, request, exception):
        from django.core.exceptions import ValidationError
        from django.db import DataError

        if isinstance(exception, ValidationError) and not request.path.startswith("/api/"):
            # A model field refused a value from the URL or a form (``not-a-uuid`` as an
            # id): nothing by that name exists.
            from cloudhospital.core.views import not_found

            return not_found(request)
        if isinstance(exception, (OverflowError, DataError)):
            return _refuse(request, 422, "invalid_input",
                           gettext("a value is out of range for this field"))
        from cloudhospital.security.crypto import DecryptionError

        if isinstance(exception, DecryptionError):  # altered ciphertext: detected, no 500
            return _refuse(request, 409, "record_unreadable",
                           gettext("a stored record failed its integrity check; "
                                   "tell the administrator"))
        return None
