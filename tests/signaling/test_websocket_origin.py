"""WebSocket Origin: a browser's must be ours; a program that sends none holds a ticket."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from cloudhospital.security.clientip import client_ip_from_scope
from tests.signaling.conftest import TIMEOUT, path_of, ticket

pytestmark = pytest.mark.django_db(transaction=True)


def platform():
    from cloudhospital.asgi import application

    return application


async def _open(path: str, headers: list[tuple[bytes, bytes]]):
    comm = WebsocketCommunicator(platform(), path, headers=headers)
    connected, _ = await comm.connect(timeout=TIMEOUT)
    first = None
    if connected:
        out = await comm.receive_output(TIMEOUT)
        first = json.loads(out["text"]) if out["type"] == "websocket.send" else out
    await comm.disconnect()
    return connected, first


async def test_a_client_without_origin_is_admitted_by_its_ticket_alone(world, consultation_at):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    raw = await ticket(world.alice.user, f"consultation:{consultation.pk}")
    connected, first = await _open(path_of(consultation, raw), [(b"host", b"127.0.0.1")])
    assert connected and first["type"] == "welcome"


async def test_a_client_without_origin_or_ticket_is_still_refused_4401(world, consultation_at):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    connected, first = await _open(path_of(consultation, "forged"), [])
    assert connected and first == {"type": "websocket.close", "code": 4401}


async def test_a_browser_on_our_own_host_is_admitted(world, consultation_at):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    raw = await ticket(world.alice.user, f"consultation:{consultation.pk}")
    connected, first = await _open(path_of(consultation, raw),
                                   [(b"origin", b"http://127.0.0.1:8000")])
    assert connected and first["type"] == "welcome"


@pytest.mark.parametrize("origin", [b"https://evil.example", b"null", b"http://127.0.0.1.evil"])
async def test_a_page_on_another_origin_is_refused_before_the_socket_opens(
        world, consultation_at, origin):
    consultation = await database_sync_to_async(consultation_at)("scheduled")
    raw = await ticket(world.alice.user, f"consultation:{consultation.pk}")
    connected, _ = await _open(path_of(consultation, raw), [(b"origin", origin)])
    assert not connected


def test_a_sockets_address_believes_forwarded_for_only_from_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    scope = {"client": ["127.0.0.1", 5000], "headers": [(b"x-forwarded-for", b"198.51.100.4")]}
    assert client_ip_from_scope(scope) == "198.51.100.4"
    scope["client"] = ["192.0.2.8", 5000]
    assert client_ip_from_scope(scope) == "192.0.2.8"
    scope = {"client": ["127.0.0.1", 5000], "headers": [(b"x-forwarded-for", b"not-an-ip")]}
    assert client_ip_from_scope(scope) == "127.0.0.1"
