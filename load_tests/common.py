"""Shared pieces: the run profile, the machine, statistics, processes, the platform."""

from __future__ import annotations

import contextlib
import os
import platform as pyplatform
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Profile:
    """How big each benchmark is. ``full`` is the issue's figures; the others shrink them."""

    name: str
    ct_slices: int
    mr_images: int
    image_size: int          # CT is image_size², MR half that per side
    qido_studies: int
    http_requests: int       # per latency measurement (p50/p99)
    room_levels: tuple[int, ...]
    bursts_per_level: int
    bookings: int
    booking_clients: int
    reminders: int
    time_limit: float        # seconds any single loop may run


PROFILES = {
    "full": Profile("full", 300, 200, 512, 10_000, 200, (1, 5, 10, 25, 50, 100, 200),
                    3, 400, 16, 10_000, 300.0),
    "quick": Profile("quick", 60, 40, 512, 500, 40, (1, 10, 25, 50), 2, 100, 8, 200, 60.0),
    "smoke": Profile("smoke", 4, 3, 64, 20, 5, (1, 2), 1, 10, 2, 20, 30.0),
}


class NotAvailable(Exception):
    """A piece of the system under test (or a reference) is missing; the section says why."""


@dataclass
class Section:
    """One benchmark's results: tables of rows, notes, and optional chart data."""

    key: str
    title: str
    tables: list[dict] = field(default_factory=list)   # {"title", "columns", "rows"}
    notes: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    chart: dict | None = None
    data: dict = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)  # one line per headline ratio
    seconds: float = 0.0

    def table(self, title: str, columns: list[str], rows: list[list]) -> None:
        self.tables.append({"title": title, "columns": columns, "rows": rows})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise NotAvailable(f"process exited ({proc.returncode}) before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 0.5):
            return
        time.sleep(0.1)
    raise NotAvailable(f"nothing listened on {port} within {timeout:.0f}s")


def stop(proc: subprocess.Popen | None, timeout: float = 15.0) -> None:
    """Terminate one process we started (by its own handle), then kill if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def nodelay_env(**extra: str) -> dict:
    """dcmtk and Orthanc read TCP_NODELAY from the environment (see docs/benchmarks.md)."""
    return {**os.environ, "TCP_NODELAY": "1", **extra}


def need_tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        raise NotAvailable(f"`{name}` is not installed (make bench installs it)")
    return path


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def ms(seconds: float) -> str:
    return "–" if seconds != seconds else f"{seconds * 1000:.1f} ms"


def ratio(ours: float, reference: float, higher_is_better: bool = True) -> str:
    """"2.10× (better)" — how many times CloudHospital is better (>1) or worse (<1)."""
    if not ours or not reference or ours != ours or reference != reference:
        return "–"
    value = ours / reference if higher_is_better else reference / ours
    return f"{value:.2f}× ({'better' if value >= 1 else 'worse'})"


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory,
            "kernel": pyplatform.release(), "python": sys.version.split()[0]}


def loadavg() -> str:
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "unknown"


@contextlib.contextmanager
def live_platform(tmp: Path, tag: str = "bench", **env: str):
    """The system under test: tests/conftest.py's LivePlatform (migrate, seed_demo,
    ``manage.py runplatform`` on free ports), with extra environment."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudhospital.settings")
    from tests.conftest import LivePlatform

    tmp.mkdir(parents=True, exist_ok=True)
    platform = LivePlatform(tmp, tag=tag)
    platform.env.update(env)
    try:
        platform.start()
    except Exception as exc:
        if platform.process is not None:
            platform.stop()
        else:
            platform._drop()
        raise NotAvailable(f"the platform did not start: {str(exc)[-300:]}") from exc
    try:
        yield platform
    finally:
        close_shell(platform)
        platform.stop()


_BOOT = """
import io, json, sys, contextlib, traceback
import django
django.setup()
from django.db import close_old_connections
for line in sys.stdin:
    code, out, error = json.loads(line), io.StringIO(), ""
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<bench>", "exec"), {})
    except BaseException:
        error = traceback.format_exc()
    close_old_connections()
    sys.__stdout__.write(json.dumps({"out": out.getvalue(), "error": error}) + "\\n")
    sys.__stdout__.flush()
"""


def shell(platform, code: str, timeout: float = 600) -> str:
    """Run Python inside the platform's Django and return what it printed.

    One helper process per platform (started on first use, stopped with ``close_shell``)
    keeps Django's start-up out of every call."""
    import json

    helper = getattr(platform, "_bench_shell", None)
    if helper is None or helper.poll() is not None:
        helper = subprocess.Popen([sys.executable, "-c", _BOOT], env=platform.env, cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        platform._bench_shell = helper
    helper.stdin.write(json.dumps(code) + "\n")
    helper.stdin.flush()
    line = _readline(helper, timeout)
    if not line:
        raise NotAvailable("the Django helper process died")
    answer = json.loads(line)
    if answer["error"]:
        raise NotAvailable(f"setup script failed: {answer['error'].strip()[-400:]}")
    return answer["out"]


def _readline(proc: subprocess.Popen, timeout: float) -> str:
    import selectors

    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            stop(proc)
            raise NotAvailable(f"a setup script took longer than {timeout:.0f}s")
    return proc.stdout.readline()


def close_shell(platform) -> None:
    helper = getattr(platform, "_bench_shell", None)
    if helper is not None:
        helper.stdin.close()
        stop(helper, timeout=10)


def api_token(platform, username: str) -> str:
    return shell(platform, (
        "from django.contrib.auth import get_user_model\n"
        "from cloudhospital.security.tokens import create_api_token\n"
        f"print(create_api_token(get_user_model().objects.get(username={username!r}))[1])"
    )).strip()


class Http:
    """A keep-alive HTTP/1.1 client to one loopback port (same client for every server)."""

    def __init__(self, port: int, headers: dict | None = None, timeout: float = 60):
        import http.client

        self._factory = lambda: http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
        self.conn = self._factory()
        self.headers = headers or {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, dict, bytes]:
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers={**self.headers,
                                                                     **(headers or {})})
                resp = self.conn.getresponse()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
            except (ConnectionError, OSError):
                self.conn.close()
                self.conn = self._factory()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, payload=None, headers: dict | None = None):
        import json

        body = None if payload is None else json.dumps(payload).encode()
        extra = {"Content-Type": "application/json", **(headers or {})}
        status, _, data = self.request(method, path, body, extra)
        return status, (json.loads(data) if data and data[:1] in b"[{" else data)

    def close(self) -> None:
        self.conn.close()
