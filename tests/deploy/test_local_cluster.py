"""The production topology on one machine (``deploy/local-cluster``), exercised end to end.

nginx (TLS) in front of two daphnes on the Redis channel layer, two task workers and the
DICOM listener, on PostgreSQL. Through nginx: a login with the Django form, a study sent
by C-STORE read back with DICOMweb, and an aiortc call whose two peers sit on different
daphnes; one daphne is then killed (SIGKILL) mid-call, its peer reconnects through nginx
to the other daphne and the call is negotiated again, with nothing stored lost.

Peers are placed on different daphnes deterministically: the cluster is started with
``CLUSTER_DEBUG_UPSTREAM=1``, so every answer (the WebSocket handshake included) names the
daphne that served it in ``X-Upstream``; a peer that lands next to the other is replaced
(bounded attempts). nginx itself routes with ``least_conn`` and no stickiness.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import io
import json
import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "local-cluster"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not DATABASE_URL.startswith("postgres"),
                       reason="the cluster runs on PostgreSQL: set DATABASE_URL=postgres://..."),
    pytest.mark.skipif(not REDIS_URL,
                       reason="the cluster's daphnes share a Redis channel layer: set REDIS_URL"),
]


def _cluster_env(state: Path, ports: dict, database: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.endswith("_FILE") and key not in {"DATA_DIR", "DATABASE_URL"}}
    env.update({
        "CLUSTER_DIR": str(state),
        "CLUSTER_PORT": str(ports["nginx"]),
        "CLUSTER_DAPHNE_PORTS": f"{ports['daphne'][0]} {ports['daphne'][1]}",
        "CLUSTER_DICOM_PORT": str(ports["dicom"]),
        "CLUSTER_DATABASE": database,
        "CLUSTER_PG_URL": DATABASE_URL.rsplit("/", 1)[0],
        "CLUSTER_PYTHON": sys.executable,
        "CLUSTER_DEBUG_UPSTREAM": "1",
        "REDIS_URL": REDIS_URL,
        "DEMO_PASSWORD": "demo-" + secrets.token_urlsafe(9),
    })
    return env


def _run(env: dict, *args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _logs(state: Path) -> str:
    out = []
    for path in sorted((state / "log").glob("*.log")):
        out.append(f"--- {path.name}\n" + path.read_text(errors="replace")[-2500:])
    return "\n".join(out)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import psycopg

    state = tmp_path_factory.mktemp("cluster")
    ports = {"nginx": free_port(), "daphne": (free_port(), free_port()), "dicom": free_port()}
    database = f"ch_cluster_{secrets.token_hex(4)}"
    env = _cluster_env(state, ports, database)
    started = _run(env, "start")
    try:
        assert started.returncode == 0, started.stderr + "\n" + _logs(state)
        process_env = {**env}
        for name in ("secrets.env", "cluster.env"):
            for line in (state / name).read_text().splitlines():
                key, _, value = line.partition("=")
                process_env[key] = value
        yield SimpleNamespace(
            state=state, env=env, process_env=process_env, ports=ports,
            url=f"https://127.0.0.1:{ports['nginx']}", cafile=str(state / "tls" / "cert.pem"),
            password=env["DEMO_PASSWORD"], dicom_port=ports["dicom"],
            daphnes={f"127.0.0.1:{p}": f"daphne-{p}" for p in ports["daphne"]})
    finally:
        stopped = _run(env, "stop", timeout=120)
        admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    assert stopped.returncode == 0, stopped.stderr
    assert "killing it" not in stopped.stderr  # every process stopped on SIGTERM, in time
    status = _run(env, "status")
    assert status.returncode == 3 and "not running" in status.stdout, status.stdout


@pytest.fixture(autouse=True)
def _cluster_logs_on_failure(request):
    """Print the cluster's log tails after each test; pytest shows them only on failure."""
    yield
    if "cluster" in request.fixturenames:
        print(_logs(request.getfixturevalue("cluster").state))


def manage(cluster, *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT,
                            env=cluster.process_env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def stored(cluster) -> dict:
    """What the database holds, read by a separate process (not through any daphne)."""
    code = ("import json; from imaging.models import Instance; "
            "from signaling.models import Attendance; "
            "from cloudhospital.security.models import AuditEntry; "
            "print(json.dumps({'instances': sorted(Instance.objects.values_list("
            "'sop_instance_uid', flat=True)), 'peers': sorted(Attendance.objects.values_list("
            "'peer_id', flat=True)), 'audit': AuditEntry.objects.count()}))")
    return json.loads(manage(cluster, "shell", "-c", code).strip().splitlines()[-1])


def pid_of(cluster, name: str) -> int:
    return int((cluster.state / "run" / f"{name}.pid").read_text().split()[0])


def answered_by(header: str | None) -> str:
    """nginx lists every daphne it tried ("a, b"); the last one answered."""
    assert header, "no X-Upstream header: is CLUSTER_DEBUG_UPSTREAM=1 honoured?"
    return header.split(",")[-1].strip()


class Browser:
    """A cookie-keeping HTTPS client that logs in with the Django form, through nginx."""

    def __init__(self, cluster):
        self.base = cluster.url
        self.cookies = http.cookiejar.CookieJar()
        context = ssl.create_default_context(cafile=cluster.cafile)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def request(self, path: str, *, data: bytes | None = None, headers: dict | None = None,
                method: str | None = None):
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Referer": self.base + "/", **(headers or {})})
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as exc:
            response = exc
        with response:
            return response.status, response.headers, response.read()

    def login(self, username: str, password: str) -> None:
        status, _, page = self.request("/accounts/login/")
        assert status == 200 and b'name="username"' in page
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrfmiddlewaretoken": token.decode()}).encode()
        status, _, page = self.request(
            "/accounts/login/", data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Referer": self.base + "/accounts/login/"})
        assert status == 200, page[:500]
        assert self.cookie("sessionid"), "the login form did not start a session"

    def json(self, path: str, **kwargs):
        status, _, body = self.request(path, **kwargs)
        assert status == 200, (path, status, body[:500])
        return json.loads(body)

    def ticket(self, kind: str, object_id: str) -> dict:
        """A signaling ticket for the logged-in user (session + CSRF, as room.js does)."""
        return self.json(f"/api/v1/{kind}s/{object_id}/signaling-ticket", data=b"{}",
                         method="POST", headers={"Content-Type": "application/json",
                                                 "X-CSRFToken": self.cookie("csrftoken")})


def test_nginx_spreads_one_session_over_every_daphne_and_serves_static_files(cluster):
    browser = Browser(cluster)
    browser.login("clinic_doctor", cluster.password)
    served_by = set()
    for _ in range(6):
        status, headers, _ = browser.request("/api/v1/consultations")
        assert status == 200  # the session made on one daphne is valid on the other
        served_by.add(answered_by(headers["X-Upstream"]))
    assert served_by == set(cluster.daphnes)
    status, headers, body = browser.request("/static/admin/css/base.css")
    assert status == 200 and b"{" in body and "X-Upstream" not in headers  # nginx itself
    status, _, _ = Browser(cluster).request("/api/v1/consultations")
    assert status == 401


def test_plain_http_and_unknown_hosts_are_refused(cluster):
    browser = Browser(cluster)
    plain = urllib.request.build_opener()  # not urlopen(): keep the global opener untouched
    with pytest.raises(urllib.error.HTTPError) as refused:
        plain.open(f"http://127.0.0.1:{cluster.ports['nginx']}/healthz", timeout=10)
    assert refused.value.code == 400  # nginx: plain HTTP sent to the HTTPS port
    status, _, _ = browser.request("/healthz", headers={"Host": "evil.example"})
    assert status == 400


def store_synthetic_ct(cluster, folder: Path):
    from tests.imaging.dicomfiles import encode, synthetic

    ds = synthetic(rows=32, columns=32, patient_id="CLUSTER-1", window=(40, 400))
    path = folder / "ct.dcm"
    path.write_bytes(encode(ds))
    result = subprocess.run(["storescu", "-aet", "DEMO_CT", "-aec", "CLOUDHOSPITAL",
                             "127.0.0.1", str(cluster.dicom_port), str(path)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return ds


def read_back(browser: Browser, ds) -> bytes:
    """QIDO finds the study, WADO returns the instance: both through nginx."""
    from imaging.dicomweb import multipart

    found = browser.json(f"/dicomweb/studies?StudyInstanceUID={ds.StudyInstanceUID}")
    assert [r["0020000D"]["Value"][0] for r in found] == [ds.StudyInstanceUID]
    status, headers, body = browser.request(
        f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}",
        headers={"Accept": 'multipart/related; type="application/dicom"'})
    assert status == 200, body[:500]
    parts = multipart.decode(body, headers["Content-Type"])
    assert len(parts) == 1
    return parts[0][1]


@pytest.fixture(scope="module")
def stored_study(cluster, tmp_path_factory):
    return store_synthetic_ct(cluster, tmp_path_factory.mktemp("dicom"))


def test_a_study_sent_by_c_store_is_read_back_through_nginx(cluster, stored_study):
    import pydicom

    browser = Browser(cluster)
    browser.login("clinic_doctor", cluster.password)
    got = pydicom.dcmread(io.BytesIO(read_back(browser, stored_study)))
    assert got.SOPInstanceUID == stored_study.SOPInstanceUID
    assert got.PixelData == stored_study.PixelData
    outsider = Browser(cluster)
    outsider.login("clinic_doctor2", cluster.password)  # another centre: not visible
    assert outsider.json(
        f"/dicomweb/studies?StudyInstanceUID={stored_study.StudyInstanceUID}") == []


def test_a_study_sent_by_stow_rs_through_nginx_is_stored_and_read_back(cluster):
    """STOW-RS streams through nginx (no request buffering) with the session and CSRF."""
    import pydicom

    from imaging.dicomweb import multipart
    from tests.imaging.dicomfiles import encode, synthetic

    ds = synthetic(rows=32, columns=32, patient_id="CLUSTER-2")
    boundary = multipart.new_boundary()
    body = b"".join(multipart.encode([("application/dicom", encode(ds))], boundary))
    browser = Browser(cluster)
    browser.login("clinic_doctor", cluster.password)
    headers = {"Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
               "Accept": "application/dicom+json"}
    status, _, _ = browser.request("/dicomweb/studies", data=body, method="POST",
                                   headers=headers)
    assert status == 403  # a session without the CSRF token is refused
    headers["X-CSRFToken"] = browser.cookie("csrftoken")
    status, _, answer = browser.request("/dicomweb/studies", data=body, method="POST",
                                        headers=headers)
    assert status == 200, answer[:500]
    got = pydicom.dcmread(io.BytesIO(read_back(browser, ds)))
    assert got.SOPInstanceUID == ds.SOPInstanceUID and got.PixelData == ds.PixelData


# --- the call ---------------------------------------------------------------------------------

WAIT = 45  # seconds any one step may take before the test fails (never asserted as a time)


def upstream_of(client) -> str | None:
    ws = client.ws
    response = getattr(ws, "response", None) if ws is not None else None
    return answered_by(response.headers.get("X-Upstream")) if response is not None else None


async def wait_until(predicate, what: str, tasks: list, timeout: float = WAIT):
    """Poll (bounded) until ``predicate()``; a peer task that died fails the test at once."""
    for _ in range(int(timeout * 10)):
        if predicate():
            return
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise AssertionError(f"a peer failed while waiting for {what}") from (
                    task.exception())
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def session_peer(browser: Browser, consultation: str):
    """signaling.client's aiortc room peer, taking its tickets with the browser session."""
    from signaling.client import MediaSource, RoomClient

    class SessionPeer(RoomClient):
        async def get_ticket(self) -> dict:
            return await asyncio.to_thread(browser.ticket, self.kind, self.object_id)

    return SessionPeer(browser.base, consultation, "", media=MediaSource(audio=False),
                       loopback=True)


async def join(browser: Browser, consultation: str, tasks: list):
    client = session_peer(browser, consultation)
    tasks.append(asyncio.ensure_future(client.run()))
    await wait_until(lambda: client.peer_id is not None and upstream_of(client), "a welcome",
                     tasks)
    return client


def hellos_from(client, peer_id: str) -> list[str]:
    return [m for m in client.messages if m == f"hello from {peer_id}"]


async def test_a_call_across_two_daphnes_survives_killing_one(cluster, stored_study,
                                                              monkeypatch):

    from signaling.media import LOOPBACK

    # aiortc's ICE on 127.0.0.1 only (undone after the test), and trust the cluster's
    # certificate in websockets (it builds its TLS context from the default paths).
    monkeypatch.setattr("aioice.ice.get_host_addresses", lambda *a, **k: [LOOPBACK])
    monkeypatch.setenv("SSL_CERT_FILE", cluster.cafile)

    doctor, specialist = Browser(cluster), Browser(cluster)
    doctor.login("clinic_doctor", cluster.password)
    specialist.login("specialist", cluster.password)
    live = [c for c in specialist.json("/api/v1/consultations")
            if c["status"] in ("scheduled", "in_progress")]
    assert live, "seed_demo has no scheduled consultation for the specialist"
    consultation = str(live[0]["id"])

    tasks: list[asyncio.Task] = []
    clients = []
    try:
        a = await join(specialist, consultation, tasks)
        clients.append(a)
        b = None
        for _ in range(6):  # least_conn puts the second socket on the idle daphne; check
            b = await join(doctor, consultation, tasks)
            clients.append(b)
            if upstream_of(b) != upstream_of(a):
                break
            await b.stop()
        assert upstream_of(b) != upstream_of(a), "both peers stayed on one daphne"
        a_daphne, b_daphne = upstream_of(a), upstream_of(b)
        assert {a_daphne, b_daphne} == set(cluster.daphnes)

        # The call: offer/answer/ICE relayed between the daphnes through Redis, then
        # video and a data channel directly between the peers.
        await wait_until(lambda: a.satisfied(5) and hellos_from(a, b.peer_id), "the call",
                         tasks)
        await wait_until(lambda: b.satisfied(5) and hellos_from(b, a.peer_id), "the call",
                         tasks)
        assert doctor.json(f"/api/v1/consultations/{consultation}")["status"] == "in_progress"

        # (An idle socket outliving the Redis layer's blocking read is covered once, in
        # tests/test_health_and_settings.py, and the cluster's socket_timeout in
        # tests/deploy/test_deploy_files.py.)
        first_a = a.peer_id

        # Kill B's daphne mid-call. B's socket drops; it reconnects through nginx, which
        # skips the dead daphne; the new B is announced to A and they negotiate again.
        old_b = b.peer_id
        before = stored(cluster)
        os.kill(pid_of(cluster, cluster.daphnes[b_daphne]), signal.SIGKILL)
        await wait_until(lambda: b.peer_id != old_b and upstream_of(b) is not None,
                         "B to rejoin", tasks)
        assert upstream_of(b) == a_daphne
        await wait_until(lambda: hellos_from(a, b.peer_id) and a.frames.get(b.peer_id, 0) >= 5,
                         "the call to resume at A", tasks)
        await wait_until(lambda: len(hellos_from(b, a.peer_id)) >= 2, "the call to resume at B",
                         tasks)
        assert a.peer_id in b.pcs and b.pcs[a.peer_id].connectionState == "connected"
    finally:
        for client in clients:
            await client.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    assert a.peer_id == first_a, "the peer on the surviving daphne was disconnected"

    # Nothing stored is lost: the session, the consultation and the study are all there,
    # served by the surviving daphne.
    assert doctor.json(f"/api/v1/consultations/{consultation}")["status"] == "in_progress"
    import pydicom

    again = pydicom.dcmread(io.BytesIO(read_back(doctor, stored_study)))
    assert again.SOPInstanceUID == stored_study.SOPInstanceUID
    after = stored(cluster)
    assert stored_study.SOPInstanceUID in before["instances"]
    assert after["instances"] == before["instances"]
    assert set(before["peers"]) | {b.peer_id} <= set(after["peers"])
    assert {a.peer_id, old_b} <= set(before["peers"])
    assert after["audit"] > before["audit"]  # the trail only grows (joins, reads)
    status = _run(cluster.env, "status")
    assert status.returncode == 1 and re.search(rf"{cluster.daphnes[b_daphne]}\s+not running",
                                                status.stdout), status.stdout
