"""2. DICOMweb: WADO-RS of a whole series and of single frames, QIDO-RS over an index of
many generated studies — CloudHospital's /dicomweb/ against Orthanc's DICOMweb plugin,
with the same keep-alive HTTP client. Also sets up what section 3 (rendering) needs.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pydicom

from load_tests import orthanc, series
from load_tests.common import (
    Http,
    NotAvailable,
    Profile,
    Section,
    api_token,
    ms,
    percentile,
    ratio,
)
from load_tests.dicom_ingest import push

SERIES_ACCEPT = 'multipart/related; type="application/dicom"'
FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"'


@dataclass
class Target:
    """One DICOMweb server as the benchmark sees it."""

    name: str
    http: Http | None = None
    base: str = ""
    missing: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Env:
    profile: Profile
    ct: dict
    sop_uids: list[str]
    index: dict
    targets: dict[str, Target]


def sop_uids(files: list[Path]) -> list[str]:
    return [str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in files]


def probe_ours(platform) -> Target:
    target = Target("CloudHospital")
    if platform is None:
        target.missing = "the platform did not start"
        return target
    token = api_token(platform, "clinic_doctor")
    http = Http(platform.port, {"Authorization": f"Bearer {token}"})
    status, _, body = http.request("GET", "/dicomweb/studies?limit=1",
                                   headers={"Accept": "application/dicom+json"})
    if status in (404, 405, 501):
        target.missing = f"GET /dicomweb/studies answers {status}: no DICOMweb door yet"
        http.close()
        return target
    if status >= 400:
        target.missing = f"GET /dicomweb/studies answers {status}: {body[:120]!r}"
        http.close()
        return target
    target.http, target.base = http, "/dicomweb"
    return target


def timed(target: Target, path: str, accept: str, count: int, limit: float,
          expect: int = 200) -> dict:
    """``count`` GETs (bounded by ``limit`` seconds): latencies, bytes, statuses."""
    latencies, total, statuses, results = [], 0, {}, []
    deadline = time.monotonic() + limit
    paths = path if isinstance(path, list) else [path]
    for i in range(count):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        status, _, body = target.http.request("GET", target.base + paths[i % len(paths)],
                                              headers={"Accept": accept})
        latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
        total += len(body)
        if accept.endswith("json") and status == 200:
            results.append(len(json.loads(body)) if body.strip() else 0)
    if set(statuses) != {expect}:
        raise NotAvailable(f"{target.name} answered {statuses} to {paths[0]}")
    busy = sum(latencies)
    return {"n": len(latencies), "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99), "mbs": total / busy / 1e6 if busy else 0.0,
            "bytes": total / max(1, len(latencies)),
            "results": sum(results) / len(results) if results else None}


def qido_queries(index: dict, n: int) -> dict[str, list[str]]:
    studies, names = index["studies"], index["surnames"]
    step = max(1, studies // max(1, n))
    return {
        "PatientID exact": [f"/studies?PatientID=IDX{(i * step) % studies:07d}"
                            for i in range(n)],
        "PatientName prefix*, limit 100": [f"/studies?PatientName={names[i % 10]}*&limit=100"
                                           for i in range(n)],
        "StudyDate range (1 month), limit 100": [
            f"/studies?StudyDate=2025{1 + i % 12:02d}01-2025{1 + i % 12:02d}28&limit=100"
            for i in range(n)],
        "all studies, limit 100 offset k": [f"/studies?limit=100&offset={(i * 100) % studies}"
                                            for i in range(n)],
    }


def measure(env: Env) -> Section:
    section = Section("dicomweb", "2. DICOMweb")
    p, ct = env.profile, env.ct
    n_frames = p.http_requests
    series_path = f"/studies/{ct['study_uid']}/series/{ct['series_uid']}"
    frame_paths = [f"{series_path}/instances/{uid}/frames/1" for uid in env.sop_uids]
    results: dict[str, dict] = {}
    for key, target in env.targets.items():
        if target.http is None:
            section.unavailable.append(f"{target.name}: {target.missing}")
            continue
        got = results[key] = {}
        try:
            got["series"] = timed(target, series_path, SERIES_ACCEPT,
                                  max(3, min(10, n_frames // 10)), p.time_limit)
            got["frame"] = timed(target, frame_paths, FRAME_ACCEPT, n_frames, p.time_limit)
            for label, paths in qido_queries(env.index, n_frames).items():
                # a slow search must not eat the run: at most 90 s per query kind
                got["qido " + label] = timed(target, paths, "application/dicom+json",
                                             min(n_frames, 100), min(p.time_limit, 90))
        except NotAvailable as exc:
            section.unavailable.append(str(exc))
    rows = []
    for op in ["series", "frame"] + ["qido " + q for q in qido_queries(env.index, 1)]:
        label = {"series": f"WADO-RS series ({len(env.sop_uids)} instances)",
                 "frame": "WADO-RS single frame"}.get(op, "QIDO-RS " + op[5:])
        ours, ref = results.get("ours", {}).get(op), results.get("orthanc", {}).get(op)
        cells = [label]
        for r in (ours, ref):
            cells += ([ms(r["p50"]), ms(r["p99"]), f"{r['mbs']:.1f}"] if r else ["–"] * 3)
        cells.append(f"{ours['n'] if ours else '–'} / {ref['n'] if ref else '–'}")
        found = [r["results"] if r and r["results"] is not None else None for r in (ours, ref)]
        cells.append(" / ".join("–" if f is None else f"{f:.1f}" for f in found))
        if None not in found and abs(found[0] - found[1]) > 0.01:
            section.notes.append(f"**{label}: the two sides found different numbers of "
                                 f"studies ({found[0]:.1f} vs {found[1]:.1f} per query), so "
                                 "its latencies are not comparable.**")
        cells.append(ratio(ours["p50"], ref["p50"], higher_is_better=False)
                     if ours and ref else "–")
        rows.append(cells)
        if ours and ref and op in ("series", "frame", "qido PatientID exact"):
            section.summary.append(f"DICOMweb {label} p50: {cells[-1]} than Orthanc")
    section.table(f"Latency per request (keep-alive, sequential); index of "
                  f"{env.index['studies']:,} studies",
                  ["request", "CloudHospital p50", "p99", "MB/s", "Orthanc p50", "p99", "MB/s",
                   "n (ours / Orthanc)", "matches per search (ours / Orthanc)",
                   "ratio (p50)"], rows)
    if env.index.get("held"):
        section.notes.append(f"Loaded: {env.index['held']}.")
    section.notes.append("MB/s is response bytes over the time spent waiting for them. Series "
                         f"retrieve repeated {max(3, min(10, n_frames // 10))}×, frames "
                         f"{n_frames}×, each search kind up to {min(n_frames, 100)}× (at most "
                         "90 s; n says how many fitted), cycling through slices and query "
                         "values.")
    return section


def held(targets: dict, platform) -> str:
    """How many studies each side holds once loaded (the index plus the CT study)."""
    from load_tests.common import shell

    parts = []
    if targets["ours"].http is not None:
        out = shell(platform, "from imaging.models import Study\nprint(Study.objects.count())")
        parts.append(f"CloudHospital holds {out.strip()} studies")
    server = targets["orthanc"].extra.get("server")
    if server is not None:
        parts.append(f"Orthanc {server.get_json('/statistics')['CountStudies']}")
    return ", ".join(parts)


def measure_with_render(profile: Profile, tmp: Path, data: dict, platform, wanted: set[str],
                        guarded, render_measure) -> list[Section]:
    """Load Orthanc (and CloudHospital, if it has DICOMweb) with the CT series and the
    index, then run sections 2 and 3 against both."""
    ct = data["ct"]
    index = series.write_index(tmp / "index", profile.qido_studies)
    targets = {"ours": probe_ours(platform), "orthanc": Target("Orthanc")}
    server = None
    try:
        try:
            server = orthanc.Orthanc(tmp / "orthanc").start()
            push(ct["files"][0].parent, server.dicom_port, orthanc.AE_TITLE, profile.time_limit)
            push(index["folder"], server.dicom_port, orthanc.AE_TITLE, profile.time_limit * 4)
            targets["orthanc"] = Target("Orthanc", Http(server.http_port), "/dicom-web",
                                        extra={"server": server})
        except (NotAvailable, subprocess.TimeoutExpired) as exc:
            targets["orthanc"].missing = str(exc)
        ours = targets["ours"]
        if ours.http is not None:
            try:  # the CT series may be there already (section 1); the index is not
                if not ct.get("in_platform"):
                    push(ct["files"][0].parent, platform.dicom_port, "CLOUDHOSPITAL",
                         profile.time_limit)
                push(index["folder"], platform.dicom_port, "CLOUDHOSPITAL",
                     profile.time_limit * 4)
            except (NotAvailable, subprocess.TimeoutExpired) as exc:
                ours.missing, ours.http = f"could not load the index: {exc}", None
        env = Env(profile, ct, sop_uids(ct["files"]), index, targets)
        env.index["held"] = held(targets, platform)
        sections = []
        if "dicomweb" in wanted:
            sections.append(guarded("dicomweb", "2. DICOMweb", measure, env))
        if "render" in wanted:
            sections.append(guarded("render", "3. Rendering", render_measure, env, tmp,
                                    platform))
        return sections
    finally:
        for target in targets.values():
            if target.http is not None:
                target.http.close()
        if server is not None:
            server.stop()
            server.wipe()
