"""Killing the ingesting process at any moment leaves no half-indexed instance and loses
no acknowledged one; importing again completes the set exactly once."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pydicom
import pytest

from imaging import store
from imaging.patient_index import patient_id_hash
from tests.conftest import ROOT
from tests.imaging.dicomfiles import encode, series
from tests.imaging.platform_db import query

pytestmark = pytest.mark.live

def state(platform, settings) -> dict:
    """The index as the platform left it; every row's blob decrypted and parsed here."""
    settings.DATA_DIR = platform.data_dir  # the platform's keys (DATA_DIR/secrets.json)
    settings.IMAGE_STORE_DIR = platform.data_dir / "images"
    crash_patient = patient_id_hash("CRASH-1")  # the index holds Patient IDs encrypted
    rows = query(platform, f"""
        SELECT i.sop_instance_uid, i.blob_key, se.series_instance_uid
        FROM imaging_instance i JOIN imaging_series se ON i.series_id = se.id
        JOIN imaging_study st ON se.study_id = st.id
        JOIN imaging_dicompatient p ON st.patient_id = p.id
        WHERE p.patient_id_hash = '{crash_patient}'""")  # noqa: S608 - a hex digest
    unreadable = []
    for sop_uid, blob_key, series_uid in rows:
        try:
            ds = pydicom.dcmread(io.BytesIO(store.get(blob_key)))
            ok = ds.SOPInstanceUID == sop_uid and ds.SeriesInstanceUID == series_uid
        except Exception:
            ok = False
        if not ok:
            unreadable.append(sop_uid)
    (empty_series,), = query(platform, "SELECT count(*) FROM imaging_series se WHERE NOT "
                             "EXISTS (SELECT 1 FROM imaging_instance i WHERE i.series_id = se.id)")
    (empty_studies,), = query(platform, "SELECT count(*) FROM imaging_study st WHERE NOT "
                              "EXISTS (SELECT 1 FROM imaging_series se WHERE se.study_id = st.id)")
    return {"uids": sorted(row[0] for row in rows), "unreadable": unreadable,
            "empty_series": empty_series, "empty_studies": empty_studies}


def blob_count(platform) -> int:
    base = platform.data_dir / "images" / "instances"
    return sum(1 for p in base.glob("*/*/*") if not p.name.startswith(".")) if base.exists() \
        else 0


def test_a_killed_import_leaves_a_consistent_index(platform_server, tmp_path, settings):
    slices = series(60, rows=128, columns=128, patient_id="CRASH-1")
    for ds in slices:
        (tmp_path / f"{ds.InstanceNumber:03d}.dcm").write_bytes(encode(ds))
    argv = [sys.executable, str(ROOT / "manage.py"), "import_dicom", "--ae", "DEMO_CT",
            "--no-progress", "-v", "2", str(tmp_path)]
    acknowledged: set[str] = set()
    for extra in (10, 30):  # two kills, at different points of the run
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
        now = state(platform_server, settings)
        assert now["unreadable"] == [] and now["empty_series"] == 0
        assert now["empty_studies"] == 0
        assert acknowledged <= set(now["uids"])  # nothing acknowledged was lost
        assert len(now["uids"]) < len(slices)
    done = subprocess.run(argv, env=platform_server.env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    final = state(platform_server, settings)
    assert final["uids"] == sorted(ds.SOPInstanceUID for ds in slices)
    assert final["unreadable"] == []
