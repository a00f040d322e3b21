"""Where the time goes: run one benchmark's load against a CloudHospital process under
py-spy and print the hottest functions (``python -m load_tests.profile ingest|signaling|
worker``). The findings are summarised in docs/benchmarks.md.

Each target process is started here (so its pid is known), py-spy attaches to it, the
load runs, and py-spy is stopped with SIGINT (it then writes its samples).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from load_tests import booking, dicom_ingest, series, signaling
from load_tests.common import (
    PROFILES,
    ROOT,
    NotAvailable,
    free_port,
    live_platform,
    need_tool,
    stop,
    wait_port,
)


class Spy:
    def __init__(self, pid: int, out: Path, rate: int = 100):
        self.out = out
        argv = [need_tool("py-spy"), "record", "--pid", str(pid), "-r", str(rate), "-f", "raw",
                "-o", str(out), "--nonblocking"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def finish(self) -> Path:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                stop(self.proc)
        return self.out


def summary(raw: Path, top: int = 18) -> str:
    """Cumulative and self sample shares per function, from py-spy's collapsed stacks."""
    total, cumulative, own = 0, Counter(), Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = [f.strip() for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        total += n
        for frame in set(frames):
            cumulative[frame] += n
        own[frames[-1]] += n
    if not total:
        return "no samples"
    ours = ("cloudhospital/", "imaging/", "signaling/", "clinics/")
    lines = [f"{total} samples", "", "cumulative, CloudHospital code:"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in cumulative.most_common()
              if any(o in frame for o in ours)][:top]
    lines += ["", "self (where the CPU actually is):"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines)


def profile_ingest(tmp: Path, profile) -> Path:
    data = series.write_series(tmp / "ct", "CT", profile.ct_slices, profile.image_size)
    with live_platform(tmp / "platform", tag="prof") as platform:
        dicom_ingest.register_sender(platform)
        port = free_port()
        listener = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "dicom_listener",
                                     "--port", str(port)], env=platform.env, cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port, 60, listener)
            spy = Spy(listener.pid, tmp / "ingest.raw")
            dicom_ingest.push(tmp / "ct", port, "CLOUDHOSPITAL", profile.time_limit)
            print(f"pushed {len(data['files'])} instances", flush=True)
            return spy.finish()
        finally:
            stop(listener)


def profile_dicomweb(tmp: Path, profile) -> Path:
    """Single-frame WADO-RS and exact QIDO-RS, the requests where Orthanc leads most."""
    from load_tests.common import Http, api_token
    from load_tests.dicomweb import FRAME_ACCEPT, sop_uids

    data = series.write_series(tmp / "ct", "CT", profile.ct_slices, profile.image_size)
    with live_platform(tmp / "platform", tag="prof") as platform:
        dicom_ingest.register_sender(platform)
        dicom_ingest.push(tmp / "ct", platform.dicom_port, "CLOUDHOSPITAL", profile.time_limit)
        web, port = signaling.start_daphne(platform.env)
        http = Http(port, {"Authorization": f"Bearer {api_token(platform, 'clinic_doctor')}"})
        try:
            base = f"/dicomweb/studies/{data['study_uid']}/series/{data['series_uid']}"
            uids = sop_uids(data["files"])
            spy = Spy(web.pid, tmp / "dicomweb.raw")
            for i in range(10 * profile.http_requests):
                http.request("GET", f"{base}/instances/{uids[i % len(uids)]}/frames/1",
                             headers={"Accept": FRAME_ACCEPT})
                http.request("GET", "/dicomweb/studies?PatientID=BENCH-1",
                             headers={"Accept": "application/dicom+json"})
            return spy.finish()
        finally:
            http.close()
            stop(web)


def profile_signaling(tmp: Path, profile) -> Path:
    rooms_n = max(profile.room_levels)
    with live_platform(tmp / "platform", tag="prof") as platform:
        rooms = signaling.make_rooms(platform, rooms_n)
        web, port = signaling.start_daphne(platform.env)
        try:
            pairs = signaling.ticket_urls(platform, rooms, (port, port))
            spy = Spy(web.pid, tmp / "signaling.raw")
            levels = profile.__class__(**{**profile.__dict__,
                                          "room_levels": (rooms_n,) * 4})
            points = asyncio.run(signaling.drive(pairs, f"http://127.0.0.1:{port}", levels))
            print(points, flush=True)
            return spy.finish()
        finally:
            stop(web)


def profile_worker(tmp: Path, profile) -> Path:
    import json

    with booking.pg_platform(tmp / "platform") as platform:
        data = json.loads(booking.bench_line(booking.shell(platform, booking.SETUP.replace(
            "SLOTS", "20").replace("PATIENTS", "40"))))
        booking.book_via_api(platform, data, 4)
        booking.shell(platform, booking.ENQUEUE.replace("COUNT", str(profile.reminders))
                      .replace("TAG", "prof-"))
        worker = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "db_worker",
                                   "--queue-name", "reminders", "--no-startup-delay",
                                   "--interval", "0.1", "--no-reload"], env=platform.env,
                                  cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            spy = Spy(worker.pid, tmp / "worker.raw")
            import time

            deadline = time.monotonic() + profile.time_limit
            while time.monotonic() < deadline:
                time.sleep(2)
                left = booking.bench_line(booking.shell(platform, (
                    "from django_tasks_db.models import DBTaskResult\n"
                    "print('BENCH', DBTaskResult.objects.filter(status='READY', "
                    "args_kwargs__args__1__startswith='prof-').count())")))
                if left == "0":
                    break
            return spy.finish()
        finally:
            stop(worker)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m load_tests.profile")
    parser.add_argument("target", choices=["ingest", "dicomweb", "signaling", "worker"])
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    profile = PROFILES["smoke" if args.smoke else "quick"]
    tmp = Path(tempfile.mkdtemp(prefix="ch-profile-"))
    fn = {"ingest": profile_ingest, "dicomweb": profile_dicomweb,
          "signaling": profile_signaling,
          "worker": profile_worker}[args.target]
    try:
        raw = fn(tmp, profile)
    except NotAvailable as exc:
        print(f"not available: {exc}")
        return 1
    print(summary(raw))
    print(f"\nraw samples: {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
