"""Request hygiene before any view runs: proxy headers, language."""

from __future__ import annotations

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
