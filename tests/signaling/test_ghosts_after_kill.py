"""kill -9 of a daphne with a peer in a room, restart, the other side joins: no ghost.

Before presence leases, the restarted server welcomed the clinic doctor with the dead
specialist, started the consultation in the clinic doctor's name and left the
specialist's stay open for ever.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from signaling.client import fetch_ticket
from tests.conftest import LivePlatform, free_port
from tests.signaling.live import scheduled_consultation, start_daphne, wait_healthy

pytestmark = pytest.mark.live

# Short leases so the test need not wait 30 s; renewal stays well within the lease.
LEASE = {"SIGNALING_LEASE_SECONDS": "4", "SIGNALING_LEASE_RENEW_SECONDS": "1"}

STATE = """
import json
from clinics.consultations.models import Consultation
from cloudhospital.security.models import AuditEntry
from signaling.models import Attendance
c = Consultation.objects.get(pk="%(id)s")
print(json.dumps({
    "status": c.status,
    "stays": {a.peer_id: {"open": a.left_at is None, "lease_until": a.lease_until.isoformat()}
              for a in Attendance.objects.filter(room_key="consultation:%(id)s")},
    "leaves": [e.detail for e in AuditEntry.objects.filter(action="room.leave",
                                                            object_id="%(id)s")],
}))
"""


def state(platform: LivePlatform, consultation: str) -> dict:
    """What the database holds, read by a separate process (not through any daphne)."""
    out = platform.manage("shell", "-c", STATE % {"id": consultation}).stdout
    return json.loads(out.strip().splitlines()[-1])


@contextlib.contextmanager
def joined(url: str, consultation: str, token: str):
    """A signaling socket opened the way a room device opens it; yields (socket, welcome)."""
    ticket = fetch_ticket(url, "consultation", consultation, token)
    with connect(url.replace("http", "ws", 1) + ticket["ws_path"] + "?ticket="
                 + ticket["ticket"], origin=url, open_timeout=30) as ws:
        frame = json.loads(ws.recv(timeout=30))
        assert frame["type"] == "welcome", frame
        yield ws, frame


def test_a_peer_of_a_killed_server_is_gone_for_whoever_joins_after_the_restart(tmp_path):
    platform = LivePlatform(tmp_path, "ghost")
    platform.env.update(LEASE)
    log = open(tmp_path / "daphne.log", "w")  # noqa: SIM115 - closed in finally
    servers = []
    try:
        platform.manage("migrate", "--noinput")
        platform.manage("seed_demo")
        consultation = scheduled_consultation(platform)
        tokens = {user: platform.token(user) for user in ("specialist", "clinic_doctor")}

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        servers.append(start_daphne(platform.env, port, log))
        wait_healthy(url, servers[-1])
        with contextlib.suppress(ConnectionClosed), \
                joined(url, consultation, tokens["specialist"]) as (_, first):
            servers[-1].send_signal(signal.SIGKILL)
            servers[-1].wait(timeout=30)

        ghost = state(platform, consultation)["stays"][first["peer_id"]]
        assert ghost["open"], "the kill left the specialist's stay open (the ghost)"
        # Let its lease run out: nothing renews it any more, so this end is final.
        end = dt.datetime.fromisoformat(ghost["lease_until"])
        time.sleep(max(0.0, (end - dt.datetime.now(dt.UTC)).total_seconds()) + 0.5)

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        servers.append(start_daphne(platform.env, port, log))
        wait_healthy(url, servers[-1])
        with joined(url, consultation, tokens["clinic_doctor"]) as (_, second):
            assert second["peers"] == [], "the dead specialist is not welcomed as present"

        after = state(platform, consultation)
        assert after["status"] == "scheduled"
        assert not after["stays"][first["peer_id"]]["open"]
        assert [d.get("reason") for d in after["leaves"]
                if d["peer_id"] == first["peer_id"]] == ["lease_expired"]
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=20)
        log.close()
        platform._drop()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"),
                    reason="needs REDIS_URL: two processes can only meet through Redis")
def test_a_peer_on_a_killed_server_is_announced_left_to_peers_on_a_live_one(tmp_path):
    """Two daphnes sharing Redis; the specialist's is killed; the clinic doctor, on the
    other, hears peer-left once the lease runs out (its own consumer's sweep)."""
    platform = LivePlatform(tmp_path, "ghost2")
    platform.env.update(LEASE)
    log = open(tmp_path / "daphne.log", "w")  # noqa: SIM115 - closed in finally
    servers = []
    try:
        platform.manage("migrate", "--noinput")
        platform.manage("seed_demo")
        consultation = scheduled_consultation(platform)
        tokens = {user: platform.token(user) for user in ("specialist", "clinic_doctor")}
        urls = []
        for _ in range(2):
            port = free_port()
            urls.append(f"http://127.0.0.1:{port}")
            servers.append(start_daphne(platform.env, port, log))
        for url, server in zip(urls, servers, strict=True):
            wait_healthy(url, server)

        with joined(urls[1], consultation, tokens["clinic_doctor"]) as (doctor, _):
            with contextlib.suppress(ConnectionClosed), \
                    joined(urls[0], consultation, tokens["specialist"]) as (_, first):
                frame = json.loads(doctor.recv(timeout=30))
                assert frame["type"] == "peer-joined" and frame["peer_id"] == first["peer_id"]
                servers[0].send_signal(signal.SIGKILL)
                servers[0].wait(timeout=30)
            frame = json.loads(doctor.recv(timeout=120))
            assert frame == {"type": "peer-left", "peer_id": first["peer_id"]}

        after = state(platform, consultation)
        assert not after["stays"][first["peer_id"]]["open"]
        assert [d.get("reason") for d in after["leaves"]
                if d["peer_id"] == first["peer_id"]] == ["lease_expired"]
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=20)
        log.close()
        platform._drop()
