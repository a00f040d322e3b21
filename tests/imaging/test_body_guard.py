"""The ASGI door for large bodies: STOW and upload requests are refused for missing
credentials or an announced size over the limit before a byte of the body is asked for,
and a body without a length is cut off at the limit while it streams."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.core.asgi import get_asgi_application

from imaging.bodyguard import ImagingBodyGuard

pytestmark = pytest.mark.django_db(transaction=True)
MiB = 1024**2


def _scope(path="/dicomweb/studies", headers=()):
    return {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
            "query_string": b"", "scheme": "http", "server": ("127.0.0.1", 80),
            "client": ("127.0.0.1", 5000), "headers": [(b"host", b"127.0.0.1"), *headers],
            "http_version": "1.1", "asgi": {"version": "3.0"}}


async def _call(scope, receive):
    sent = []

    async def send(message):
        sent.append(message)

    await ImagingBodyGuard(get_asgi_application())(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


async def untouched():
    raise AssertionError("the body was read")


async def test_an_anonymous_200_mib_stow_is_401_before_the_body_is_read():
    status, headers, body = await _call(_scope(headers=[(b"content-length",
                                                         str(200 * MiB).encode())]),
                                        untouched)
    assert status == 401 and json.loads(body)["error"] == "unauthorized"
    assert headers[b"www-authenticate"].startswith(b"Bearer")


async def test_an_anonymous_upload_is_sent_to_login_before_the_body_is_read():
    status, headers, _ = await _call(_scope("/imaging/upload/", [(b"content-length",
                                                                  b"999999999")]), untouched)
    assert status == 302 and headers[b"location"].startswith(b"/accounts/login/")


@pytest.fixture
def bearer(world):
    from cloudhospital.security.tokens import create_api_token

    return (b"authorization", f"Bearer {create_api_token(world.alice.user)[1]}".encode())


async def test_an_announced_length_over_the_limit_is_413_before_reading(bearer, settings):
    settings.DICOMWEB_MAX_STOW_BYTES = 10 * MiB
    status, _, body = await _call(_scope(headers=[bearer, (b"content-length",
                                                           str(11 * MiB).encode())]),
                                  untouched)
    assert status == 413
    assert "DICOMWEB_MAX_STOW_BYTES" in json.loads(body)["message"]


async def test_a_chunked_body_is_cut_off_at_the_limit(bearer, settings):
    settings.DICOMWEB_MAX_STOW_BYTES = 3 * MiB
    reads = 0

    async def endless():
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": bytes(MiB), "more_body": True}

    status, _, body = await _call(_scope(headers=[bearer, (
        b"content-type", b'multipart/related; type="application/dicom"; boundary=b')]),
        endless)
    assert status == 413 and json.loads(body)["error"] == "too_large"
    assert reads <= 4


async def test_reads_and_other_paths_pass_through(bearer):
    scope = _scope("/healthz")
    scope["method"] = "GET"

    calls = 0

    async def empty():
        nonlocal calls
        calls += 1
        if calls > 1:  # Django listens for a disconnect while it answers: none comes
            await asyncio.Event().wait()
        return {"type": "http.request", "body": b"", "more_body": False}

    status, _, _ = await _call(scope, empty)
    assert status == 200


async def test_a_logged_in_session_passes_to_the_view(world):
    """The session cookie is enough for the guard; the upload view then decides (here:
    CSRF, which a cookie-only request without a token fails)."""
    from asgiref.sync import sync_to_async
    from django.test import Client

    client = Client()
    await sync_to_async(client.force_login)(world.alice.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    calls = 0

    async def form():
        nonlocal calls
        calls += 1
        if calls > 1:
            await asyncio.Event().wait()
        return {"type": "http.request", "body": b"", "more_body": False}

    status, _, _ = await _call(_scope("/imaging/upload/", [(b"cookie", cookie), (
        b"content-length", b"0")]), form)
    assert status == 403  # past the guard: the view's CSRF check answered
    assert calls >= 1
