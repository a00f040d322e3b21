"""Authentication and size before the body, for the imaging doors that take large bodies.

Under ASGI, Django's handler reads a whole request body (``ASGIHandler.read_body``) before
any view or middleware runs, so a view cannot refuse an anonymous 200 MiB STOW before it
has been received. This ASGI wrapper sits in front of Django for ``POST``/``PUT`` to
``/dicomweb/`` and ``/imaging/upload/``: it answers 401 (or the login redirect) without
credentials and 413 for a Content-Length over the limit before asking for a byte of the
body, and counts a body without a length (chunked) as it streams, answering 413 when it
passes the limit. The views check again (who may store, CSRF, the parts).

What it cannot change: daphne (twisted) spools a request body to a temporary file before
the application is called, and so does nginx in front; neither grows memory, and nginx's
``client_max_body_size`` bounds them (docs/security.md, "Limits").
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from importlib import import_module
from types import SimpleNamespace
from urllib.parse import quote

from channels.db import database_sync_to_async
from django.conf import settings

GUARDED = (("/dicomweb/", "DICOMWEB_MAX_STOW_BYTES"), ("/imaging/upload/",
                                                       "IMAGING_MAX_UPLOAD_BYTES"))
BODY_METHODS = {"POST", "PUT", "PATCH"}


def _limit_for(scope) -> str | None:
    if scope.get("type") != "http" or scope.get("method") not in BODY_METHODS:
        return None
    path = scope.get("path", "")
    return next((name for prefix, name in GUARDED if path.startswith(prefix)), None)


@database_sync_to_async
def _authenticated(headers: dict[bytes, bytes]) -> bool:
    from django.contrib.auth import get_user

    from cloudhospital.security.tokens import user_for_api_token

    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth.lower().startswith("bearer "):
        return user_for_api_token(auth[7:].strip()) is not None
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # a malformed Cookie header authenticates nobody
        return False
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    if morsel is None or not morsel.value:
        return False
    session = import_module(settings.SESSION_ENGINE).SessionStore(morsel.value)
    return get_user(SimpleNamespace(session=session)).is_authenticated


async def _answer(send, status: int, body: dict | None = None, headers=()) -> None:
    payload = json.dumps(body).encode() if body is not None else b""
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload))
                                                 .encode()), *headers]})
    await send({"type": "http.response.body", "body": payload})


class ImagingBodyGuard:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        name = _limit_for(scope)
        if name is None:
            return await self.app(scope, receive, send)
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if not await _authenticated(headers):
            if name == "IMAGING_MAX_UPLOAD_BYTES":  # a page: where login_required sends
                target = f"{settings.LOGIN_URL}?next={quote(scope['path'])}"
                return await _answer(send, 302, None, [(b"location", target.encode())])
            return await _answer(send, 401, {"error": "unauthorized", "message":
                                             "log in or send a valid bearer token"},
                                 [(b"www-authenticate", b'Bearer realm="dicomweb"')])
        cap = getattr(settings, name)
        too_large = {"error": "too_large",
                     "message": f"the request body exceeds {name} ({cap} bytes)"}
        raw = headers.get(b"content-length")
        if raw is not None:
            try:
                length = int(raw)
            except ValueError:
                return await _answer(send, 400, {"error": "invalid_input",
                                                 "message": "bad Content-Length"})
            if length > cap:
                return await _answer(send, 413, too_large)
        seen, over = 0, False

        async def counted():
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:  # stop Django reading: it sees the client go away
                    over = True
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, counted, send)
        if over:
            await _answer(send, 413, too_large)
