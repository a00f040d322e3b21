"""3. Rendering: one 512×512 CT slice to a windowed PNG and JPEG, cold (first request for
a slice) and cached (the same slice again), CloudHospital's DICOMweb ``/rendered`` against
Orthanc's, on the same uncompressed slice; then which transfer syntaxes each side renders.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pydicom
from pydicom.uid import JPEG2000Lossless, JPEGLSLossless, RLELossless

from load_tests import orthanc
from load_tests.common import NotAvailable, Section, ms, percentile, ratio
from load_tests.dicom_ingest import push

WINDOW = "window=40,400,linear"  # PS3.18 §8.3.5.1.3: center, width, function
SYNTAXES = {"RLE Lossless": (RLELossless, "-xr"),
            "JPEG-LS Lossless": (JPEGLSLossless, "-xt"),
            "JPEG 2000 Lossless": (JPEG2000Lossless, "-xv")}


def get(target, path: str, accept: str) -> tuple[int, float, bytes, str]:
    started = time.perf_counter()
    status, headers, body = target.http.request("GET", target.base + path + "?" + WINDOW,
                                                headers={"Accept": accept})
    return status, time.perf_counter() - started, body, headers.get("content-type", "")


def instance_path(ct: dict, uid: str) -> str:
    return f"/studies/{ct['study_uid']}/series/{ct['series_uid']}/instances/{uid}/rendered"


def cold_and_cached(target, ct: dict, uids: list[str], accept: str, n: int, limit: float):
    """Cold: each slice once (first request for it). Cached: one slice ``n`` times."""
    cold, cached = [], []
    deadline = time.monotonic() + limit
    for uid in uids[:n]:
        if time.monotonic() > deadline:
            break
        status, seconds, body, kind = get(target, instance_path(ct, uid), accept)
        if status != 200 or not kind.startswith(accept):
            raise NotAvailable(f"{target.name} rendered {accept} with {status} {kind!r}: "
                               f"{body[:100]!r}")
        cold.append(seconds)
    hot = uids[0]
    get(target, instance_path(ct, hot), accept)
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        cached.append(get(target, instance_path(ct, hot), accept)[1])
    return cold, cached


def syntax_probe(env, tmp: Path, platform, uncompressed: dict) -> list[list[str]]:
    """Push one slice in each compressed syntax to both sides; can each render it?"""
    folder = tmp / "syntaxes"
    made = {}
    for label, (uid, _) in SYNTAXES.items():
        ds = pydicom.dcmread(env.ct["files"][0])
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        try:
            ds.compress(uid)
        except Exception as exc:  # noqa: BLE001 - an encoder plugin may be missing
            made[label] = f"could not encode: {type(exc).__name__}"
            continue
        (folder / label.replace(" ", "_")).mkdir(parents=True, exist_ok=True)
        ds.save_as(folder / label.replace(" ", "_") / "slice.dcm", enforce_file_format=True)
        made[label] = str(ds.SOPInstanceUID)
    rows = [["Explicit VR Little Endian (uncompressed)"]
            + ["renders" if uncompressed.get(key) else "no" for key in ("ours", "orthanc")]]
    for label, uid in made.items():
        cells = [label]
        for key in ("ours", "orthanc"):
            target = env.targets[key]
            if target.http is None or not uid[0].isdigit():
                cells.append("–" if target.http is None else uid)
                continue
            port = (platform.dicom_port if key == "ours"
                    else target.extra["server"].dicom_port)
            called = "CLOUDHOSPITAL" if key == "ours" else orthanc.AE_TITLE
            try:
                push(folder / label.replace(" ", "_"), port, called, 60, "-R",
                     SYNTAXES[label][1])
            except (NotAvailable, subprocess.TimeoutExpired) as exc:
                cells.append(f"not stored ({str(exc)[:60]})")
                continue
            status, _, body, kind = get(target, instance_path(env.ct, uid), "image/png")
            cells.append("renders" if status == 200 and kind.startswith("image/png")
                         else f"no ({status})")
        rows.append(cells)
    return rows


def measure(env, tmp: Path, platform) -> Section:
    section = Section("render", "3. Rendering")
    n, p = env.profile.http_requests, env.profile
    results: dict[str, dict] = {}
    for key, target in env.targets.items():
        if target.http is None:
            section.unavailable.append(f"{target.name}: {target.missing}")
            continue
        results[key] = {}
        for accept in ("image/png", "image/jpeg"):
            try:
                results[key][accept] = cold_and_cached(target, env.ct, env.sop_uids, accept,
                                                       n, p.time_limit)
            except NotAvailable as exc:
                section.unavailable.append(str(exc))
    rows = []
    for accept in ("image/png", "image/jpeg"):
        for i, phase in enumerate(("cold", "cached")):
            ours = results.get("ours", {}).get(accept)
            ref = results.get("orthanc", {}).get(accept)
            cells = [f"{accept.split('/')[1].upper()} {phase}"]
            for r in (ours, ref):
                cells += [ms(percentile(r[i], 50)), ms(percentile(r[i], 99))] if r else ["–"] * 2
            cells.append(ratio(percentile(ours[i], 50), percentile(ref[i], 50),
                               higher_is_better=False) if ours and ref else "–")
            rows.append(cells)
            if ours and ref:
                section.summary.append(f"Render {cells[0]} p50: {cells[-1]} than Orthanc")
    size = env.ct["size"]
    section.table(f"{size}×{size} 16-bit CT slice, uncompressed, window 40/400, "
                  f"`?{WINDOW}`",
                  ["output", "CloudHospital p50", "p99", "Orthanc p50", "p99", "ratio (p50)"],
                  rows)
    section.notes.append(f"cold: {n} different slices, each requested once; cached: one slice "
                         f"requested {n}× after a first request (for Orthanc a repeat request, "
                         "which its storage cache may serve).")
    try:
        probe = syntax_probe(env, tmp, platform,
                             {key: "image/png" in got for key, got in results.items()})
        section.table("Which transfer syntaxes each side renders (PNG)",
                      ["syntax", "CloudHospital", "Orthanc"], probe)
    except Exception as exc:  # noqa: BLE001 - the probe is informative only
        section.notes.append(f"syntax probe failed: {type(exc).__name__}: {exc}")
    return section
