"""1. DICOM ingest over C-STORE: dcmtk ``storescu`` pushes a CT and an MR series into
CloudHospital (encryption at rest on), into Orthanc, and into dcmtk's ``storescp``
writing plain files (the transport ceiling). One association per series, timed from
process start to exit; every instance must be acknowledged.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from load_tests import orthanc
from load_tests.common import (
    LOOPBACK,
    NotAvailable,
    Profile,
    Section,
    free_port,
    need_tool,
    nodelay_env,
    ratio,
    shell,
    stop,
    wait_port,
)

CALLING_AE = "BENCH"


def push(folder: Path, port: int, called: str, timeout: float, *options: str) -> float:
    """storescu every file of ``folder`` in one association; seconds taken.

    storescu exits 0 even when a store is refused, so its log is checked as well."""
    need_tool("storescu")
    started = time.perf_counter()
    result = subprocess.run(
        ["storescu", "-aet", CALLING_AE, "-aec", called, "+sd", "-nh", *options, LOOPBACK,
         str(port), str(folder)], env=nodelay_env(), capture_output=True, text=True,
        timeout=timeout)
    seconds = time.perf_counter() - started
    failed = [line for line in result.stderr.splitlines()
              if line.startswith(("E:", "F:")) or "Status: 0x" in line]
    if result.returncode != 0 or failed:
        raise NotAvailable(f"storescu to {called} failed: {' '.join(failed)[-300:]}"
                           or result.stderr.strip()[-300:])
    return seconds


def register_sender(platform) -> None:
    """Register the benchmark's calling AE to the demo clinic doctor's institution."""
    shell(platform, (
        "from clinics.models import Staff\nfrom imaging.models import RemoteAE\n"
        "s = Staff.objects.get(user__username='clinic_doctor')\n"
        f"RemoteAE.objects.get_or_create(ae_title='{CALLING_AE}',"
        " defaults={'institution': s.institution})\n"))


def listener_sets_nodelay(platform) -> str:
    """Our listener must set TCP_NODELAY on the sockets it accepts (see the module note)."""
    out = shell(platform, "import inspect\nfrom imaging import dicom_handlers as h\n"
                "print('TCP_NODELAY' in inspect.getsource(h))")
    return ("yes, accepted sockets get TCP_NODELAY" if "True" in out
            else "NO: imaging/dicom_handlers.py does not set TCP_NODELAY")


def stored_in_platform(platform, series_uid: str) -> int:
    out = shell(platform, "from imaging.models import Instance\nprint(Instance.objects.filter("
                f"series__series_instance_uid='{series_uid}').count())")
    return int(out.strip().splitlines()[-1])


def row(name: str, seconds: float, count: int, size: int) -> dict:
    return {"name": name, "seconds": seconds, "ips": count / seconds,
            "mbs": size / seconds / 1e6}


def run_storescp(tmp: Path, folder: Path, timeout: float) -> float:
    need_tool("storescp")
    out = tmp / "storescp-out"
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(["storescp", "-aet", "STORESCP", "-od", str(out), str(port)],
                            env=nodelay_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_port(port, 20, proc)
        return push(folder, port, "STORESCP", timeout)
    finally:
        stop(proc)


def measure(profile: Profile, tmp: Path, data: dict, platform) -> Section:
    section = Section("ingest", "1. DICOM ingest (C-STORE, storescu → server)")
    results: dict[str, dict[str, dict]] = {}
    for key in ("ct", "mr"):
        series = data[key]
        folder, count, size = series["files"][0].parent, len(series["files"]), series["bytes"]
        results[key] = {}
        try:
            seconds = run_storescp(tmp / f"scp-{key}", folder, profile.time_limit)
            results[key]["storescp"] = row("dcmtk storescp (plain files)", seconds, count, size)
        except (NotAvailable, subprocess.TimeoutExpired) as exc:
            section.unavailable.append(f"storescp {key}: {exc}")
        try:
            with orthanc.running(tmp / f"orthanc-{key}") as server:
                seconds = push(folder, server.dicom_port, orthanc.AE_TITLE, profile.time_limit)
                stored = server.count_instances()
                if stored != count:
                    section.notes.append(f"Orthanc stored {stored} of {count} {key} instances")
                results[key]["orthanc"] = row(f"Orthanc {orthanc.version()}", seconds, count,
                                              size)
        except (NotAvailable, subprocess.TimeoutExpired) as exc:
            section.unavailable.append(f"Orthanc {key}: {exc}")
        if platform is None:
            section.unavailable.append("CloudHospital: the platform is not running")
            continue
        try:
            seconds = push(folder, platform.dicom_port, "CLOUDHOSPITAL", profile.time_limit)
            stored = stored_in_platform(platform, series["series_uid"])
            series["in_platform"] = stored == count
            if stored != count:
                section.notes.append(f"CloudHospital stored {stored} of {count} {key} instances")
            results[key]["ours"] = row("CloudHospital (encrypted at rest)", seconds, count,
                                       size)
        except (NotAvailable, subprocess.TimeoutExpired) as exc:
            section.unavailable.append(f"CloudHospital {key}: {exc}")
    for key, label in (("ct", "CT"), ("mr", "MR")):
        series = data[key]
        got = results[key]
        rows = []
        for name in ("ours", "orthanc", "storescp"):
            if name in got:
                r = got[name]
                rows.append([r["name"], f"{r['seconds']:.2f} s", f"{r['ips']:.1f}",
                             f"{r['mbs']:.1f}"])
        if "ours" in got and "orthanc" in got:
            rows.append(["**ratio CloudHospital / Orthanc**", "",
                         ratio(got["ours"]["ips"], got["orthanc"]["ips"]),
                         ratio(got["ours"]["mbs"], got["orthanc"]["mbs"])])
        if "ours" in got and "storescp" in got:
            rows.append(["ratio CloudHospital / storescp (ceiling)", "",
                         ratio(got["ours"]["ips"], got["storescp"]["ips"]),
                         ratio(got["ours"]["mbs"], got["storescp"]["mbs"])])
        n, side = len(series["files"]), series["size"]
        section.table(f"{label}: {n} × {side}×{side} 16-bit, {series['bytes'] / 1e6:.1f} MB",
                      ["receiver", "time", "instances/s", "MB/s"], rows)
    nodelay = listener_sets_nodelay(platform) if platform is not None else "not checked"
    section.notes.append("storescu, storescp and Orthanc ran with TCP_NODELAY=1. "
                         f"CloudHospital's listener sets TCP_NODELAY itself: {nodelay}.")
    section.notes.append("Orthanc: SQLite index and plain storage (StorageCompression off) in "
                         "a temp folder, its defaults otherwise. CloudHospital: the default "
                         "SQLite index, blobs AES-GCM encrypted, fsync'd, indexed before the "
                         "C-STORE response.")
    section.data = results
    return section
