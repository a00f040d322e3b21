"""Killing the ingesting process at any moment leaves no half-indexed instance and loses
no acknowledged one; importing again completes the set exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.imaging.dicomfiles import encode, series

pytestmark = pytest.mark.live

CHECK = """
import io, json, pydicom
from imaging import store
from imaging.models import Instance, Series, Study
mine = Instance.objects.filter(series__study__patient__patient_id="CRASH-1")
bad = []
for inst in mine.select_related("series__study"):
    try:
        ds = pydicom.dcmread(io.BytesIO(store.get(inst.blob_key)))
        ok = (ds.SOPInstanceUID == inst.sop_instance_uid
              and ds.SeriesInstanceUID == inst.series.series_instance_uid)
    except Exception as exc:
        ok = False
    if not ok:
        bad.append(inst.sop_instance_uid)
print(json.dumps({
    "uids": sorted(mine.values_list("sop_instance_uid", flat=True)),
    "unreadable": bad,
    "empty_series": Series.objects.filter(instances__isnull=True).count(),
    "empty_studies": Study.objects.filter(series__isnull=True).count(),
}))
"""


def state(platform) -> dict:
    return json.loads(platform.manage("shell", "-c", CHECK).stdout.strip().splitlines()[-1])


def blob_count(platform) -> int:
    base = platform.data_dir / "images" / "instances"
    return sum(1 for p in base.glob("*/*/*") if not p.name.startswith(".")) if base.exists() \
        else 0


def test_a_killed_import_leaves_a_consistent_index(platform_server, tmp_path):
    slices = series(80, rows=256, columns=256, patient_id="CRASH-1")
    for ds in slices:
        (tmp_path / f"{ds.InstanceNumber:03d}.dcm").write_bytes(encode(ds))
    argv = [sys.executable, str(ROOT / "manage.py"), "import_dicom", "--ae", "DEMO_CT",
            "--no-progress", "-v", "2", str(tmp_path)]
    acknowledged: set[str] = set()
    for extra in (15, 40):  # two kills, at different points of the run
        start = blob_count(platform_server)
        proc = subprocess.Popen(argv, env=platform_server.env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 120
        while blob_count(platform_server) < start + extra and proc.poll() is None:
            assert time.monotonic() < deadline, "import made no progress"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        assert proc.returncode == -signal.SIGKILL, "the import finished before the kill"
        acknowledged |= {line.split()[1] for line in out.splitlines()
                         if line.startswith(("stored ", "duplicate "))}
        now = state(platform_server)
        assert now["unreadable"] == [] and now["empty_series"] == 0
        assert now["empty_studies"] == 0
        assert acknowledged <= set(now["uids"])  # nothing acknowledged was lost
        assert len(now["uids"]) < len(slices)
    done = subprocess.run(argv, env=platform_server.env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    final = state(platform_server)
    assert final["uids"] == sorted(ds.SOPInstanceUID for ds in slices)
    assert final["unreadable"] == []
