"""One heavy imaging request never stalls the rest of its process (issue 10, item 2).

DICOMweb work runs on the imaging pool (``imaging.offload``). One live test holds a QIDO
search open inside its view (a test-only gate: a file announces the search started,
another releases it) and shows another user's ``/api/v1/me`` answered meanwhile, ordered
by events, not timed. The other sends the search that froze the server (a wildcard that
made Python's regular expressions, inside SQLite's REGEXP and holding the GIL, backtrack
for hours) and shows both it and another user's request answered.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.conftest import LivePlatform
from tests.imaging.dicomfiles import encode, series


def _wait_for(path, seconds=120):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def gated_platform(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gated")
    gate = tmp / "gate"
    gate.mkdir()
    platform = LivePlatform(tmp, tag="gate")
    platform.env["IMAGING_TEST_GATE_DIR"] = str(gate)
    platform.start()
    yield platform, gate
    (gate / "qido.release").touch()
    platform.stop()


@pytest.mark.live
def test_another_users_request_is_answered_while_a_dicomweb_search_is_held(gated_platform):
    platform, gate = gated_platform
    doctor = {"Authorization": "Bearer " + platform.token("clinic_doctor")}
    specialist = {"Authorization": "Bearer " + platform.token("specialist")}
    answers = {}

    def held_search():
        answers["qido"] = requests.get(f"{platform.url}/dicomweb/studies", headers=doctor,
                                       timeout=120)

    search = threading.Thread(target=held_search)
    search.start()
    try:
        _wait_for(gate / "qido.started")  # the search is inside its view, and stays there
        me = requests.get(f"{platform.url}/api/v1/me", headers=specialist, timeout=30)
        assert me.status_code == 200
        assert me.json()["username"] == "specialist"
        assert "qido" not in answers and search.is_alive()
    finally:
        (gate / "qido.release").touch()
        search.join(120)
    assert answers["qido"].status_code == 200
    assert answers["qido"].headers["Content-Type"] == "application/dicom+json"


@pytest.mark.django_db(transaction=True)
def test_dicomweb_work_runs_on_the_imaging_pool_with_its_own_connection(world, client_for,
                                                                       monkeypatch):
    """In-process, with the pool on: the search and the retrieve run on ``imaging``
    threads, see committed data through their own connection, and close it after."""
    from django.db import connection

    from imaging.dicomweb import qido
    from imaging.ingest import ingest_instance
    from tests.imaging.test_dicomweb import DICOM, parts_of

    slices = series(2)
    for ds in slices:
        ingest_instance(encode(ds), institution=world.centre_a, source="upload")
    seen = []
    search = qido.search_studies

    def spy(*args, **kwargs):
        seen.append(threading.current_thread().name)
        try:
            return search(*args, **kwargs)
        finally:
            seen.append(connection.connection is not None)

    monkeypatch.setattr(qido, "search_studies", spy)
    alice = client_for(world.alice)
    found = alice.get("/dicomweb/studies")
    assert found.status_code == 200 and len(found.json()) == 1
    assert seen[0].startswith("imaging") and seen[1] is True
    study = alice.get(f"/dicomweb/studies/{slices[0].StudyInstanceUID}", HTTP_ACCEPT=DICOM)
    assert study.status_code == 200 and len(parts_of(study)) == 2


@pytest.mark.live
def test_a_hostile_wildcard_search_stalls_neither_itself_nor_another_user(gated_platform):
    """On the old code the search below backtracks for hours with the GIL held, and
    ``/me`` never answers; the generous timeouts only guard against a hang."""
    platform, gate = gated_platform
    (gate / "qido.release").touch()
    path = platform.data_dir / "long-name.dcm"
    from tests.imaging.dicomfiles import synthetic

    path.write_bytes(encode(synthetic(patient_name="A" * 200, patient_id="LONG-NAME")))
    platform.manage("import_dicom", "--ae", "DEMO_CT", "--no-progress", str(path))
    doctor = {"Authorization": "Bearer " + platform.token("clinic_doctor")}
    specialist = {"Authorization": "Bearer " + platform.token("specialist")}
    answers = {}

    def hostile_search(pattern):
        answers[pattern] = requests.get(f"{platform.url}/dicomweb/studies", headers=doctor,
                                        params={"PatientName": pattern}, timeout=60)

    searches = [threading.Thread(target=hostile_search, args=(p,))
                for p in ("*a" * 8 + "*b", "*a" * 8 + "*a")]
    for search in searches:
        search.start()
    me = requests.get(f"{platform.url}/api/v1/me", headers=specialist, timeout=30)
    assert me.status_code == 200
    for search in searches:
        search.join(90)
    assert answers["*a" * 8 + "*b"].json() == []
    found = answers["*a" * 8 + "*a"].json()
    assert [r["00100020"]["Value"] for r in found] == [["LONG-NAME"]]
