"""``python -m load_tests.run [--quick | --smoke] [--out FILE] [--only a,b]`` (``make bench``).

Runs each benchmark against CloudHospital and its reference in the same run on the same
machine and writes the report (docs/benchmarks.md by default). A section whose piece of
CloudHospital (or reference) is missing says "not available: <reason>" instead of failing.
Every loop is bounded in count and time; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from load_tests import booking, dicom_ingest, dicomweb, render, report, series, signaling
from load_tests.common import (
    PROFILES,
    ROOT,
    NotAvailable,
    Section,
    live_platform,
    loadavg,
    machine,
)

SECTIONS = ("ingest", "dicomweb", "render", "signaling", "booking")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m load_tests.run", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="smaller sizes (< 5 minutes)")
    mode.add_argument("--smoke", action="store_true",
                      help="tiny sizes, to check the harness (CI); numbers mean nothing")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help="comma-separated sections: " + ", ".join(SECTIONS))
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    return parser.parse_args(argv)


def guarded(key: str, title: str, fn, *args) -> Section:
    """Run one section; a missing piece or a crash becomes a note, not a failed run."""
    started = time.monotonic()
    try:
        section = fn(*args)
    except NotAvailable as exc:
        section = Section(key, title, unavailable=[str(exc)])
    except Exception as exc:  # noqa: BLE001 - the report must still be written
        traceback.print_exc()
        section = Section(key, title, unavailable=[
            f"the benchmark crashed: {type(exc).__name__}: {str(exc)[:300]}"])
    section.seconds = time.monotonic() - started
    print(f"[bench] {key}: {section.seconds:.0f} s"
          + (f" — {'; '.join(section.unavailable)[:200]}" if section.unavailable else ""),
          flush=True)
    return section


def platform_sections(profile, tmp: Path, wanted: set[str]) -> list[Section]:
    """Sections 1–4 share one platform (SQLite, in-memory layer): ``make run`` as is."""
    sections = []
    try:
        platform_cm = live_platform(tmp / "platform", tag="bench")
        platform = platform_cm.__enter__()
    except NotAvailable as exc:
        platform_cm, platform = None, None
        print(f"[bench] platform unavailable: {exc}", flush=True)
    try:
        if wanted & {"ingest", "dicomweb", "render"}:
            sections += imaging_sections(profile, tmp, wanted, platform)
        if "signaling" in wanted:
            sections.append(guarded("signaling", "4. Signaling relay", signaling.measure,
                                    profile, tmp / "signaling", platform))
    finally:
        if platform_cm is not None:
            platform_cm.__exit__(None, None, None)
    return sections


def imaging_sections(profile, tmp: Path, wanted: set[str], platform) -> list[Section]:
    size = profile.image_size
    print(f"[bench] generating CT {profile.ct_slices}×{size}² and MR {profile.mr_images}"
          f"×{size // 2}²", flush=True)
    data = {"ct": series.write_series(tmp / "ct", "CT", profile.ct_slices, size, seed=1),
            "mr": series.write_series(tmp / "mr", "MR", profile.mr_images, size // 2, seed=2)}
    sections = []
    if platform is not None:
        dicom_ingest.register_sender(platform)
    if "ingest" in wanted:
        sections.append(guarded("ingest", "1. DICOM ingest", dicom_ingest.measure,
                                profile, tmp / "ingest", data, platform))
    if wanted & {"dicomweb", "render"}:
        sections += dicomweb.measure_with_render(profile, tmp / "dicomweb", data, platform,
                                                 wanted, guarded, render.measure)
    return sections


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    profile = PROFILES["smoke" if args.smoke else "quick" if args.quick else "full"]
    wanted = {s.strip() for s in args.only.split(",") if s.strip()}
    started_at = dt.datetime.now(dt.UTC)
    load_start = loadavg()
    tmp = Path(tempfile.mkdtemp(prefix="ch-bench-"))
    print(f"[bench] {profile.name} mode, temp {tmp}, load {load_start}", flush=True)
    sections: list[Section] = []
    try:
        if wanted & {"ingest", "dicomweb", "render", "signaling"}:
            sections += platform_sections(profile, tmp, wanted)
        if "booking" in wanted:
            sections.append(guarded("booking", "5. Booking and reminder queue",
                                    booking.measure, profile, tmp / "booking"))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    meta = {"mode": profile.name, "started": started_at, "finished": dt.datetime.now(dt.UTC),
            "load_start": load_start, "load_end": loadavg(), "machine": machine(),
            "command": "python -m load_tests.run " + " ".join(sys.argv[1:] if argv is None
                                                               else argv)}
    report.write(args.out, meta, sections)
    print(f"[bench] wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
