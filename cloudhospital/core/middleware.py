"""Simplified Chinese unless the person chose otherwise."""

from __future__ import annotations


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
