"""Error pages: JSON for programs (/api/, /dicomweb/), HTML for people."""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults

MACHINE_PREFIXES = ("/api/", "/dicomweb/")


def _wants_json(request) -> bool:
    return request.path.startswith(MACHINE_PREFIXES)


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"error": "not_found", "message": "no such resource"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _wants_json(request):
        return JsonResponse({"error": "server_error",
                             "message": "unexpected error; it has been logged"}, status=500)
    return defaults.server_error(request)


def bad_request(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"error": "bad_request", "message": "malformed request"}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"error": "forbidden", "message": "not allowed"}, status=403)
    return defaults.permission_denied(request, exception)
