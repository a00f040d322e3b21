"""The imaging index keeps no patient in clear (issue 10, item 6): names, IDs, birth dates
and sex are envelopes; QIDO still finds a patient by exact ID, exact name and name prefix
through keyed hashes and prefix tokens; rotate_keys re-encrypts them."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from cloudhospital.security import crypto
from tests.imaging.dicomfiles import encode, synthetic

NAME, PATIENT_ID, BIRTH = "Zhangwei^Xiuying=张伟^秀英", "PID-SECRET-4711", "19471108"
NEEDLES = ["Zhangwei", "ZHANGWEI", "Xiuying", "张伟", "秀英", PATIENT_ID, BIRTH]


def _ingest(world, **kw):
    from imaging.ingest import ingest_instance

    ds = synthetic(patient_name=kw.pop("patient_name", NAME),
                   patient_id=kw.pop("patient_id", PATIENT_ID), **kw)
    ds.PatientBirthDate = BIRTH
    ds.SpecificCharacterSet = "ISO_IR 192"
    outcome = ingest_instance(encode(ds), institution=world.centre_a, source="upload")
    assert outcome.ok, outcome.message
    return ds


def _uids(response):
    assert response.status_code == 200, response.content
    return sorted(r["0020000D"]["Value"][0] for r in response.json())


def _found_in_database(needle: str) -> list[str]:
    """Where a value occurs in the database: the SQLite files byte for byte (WAL and
    shared memory included), or, on PostgreSQL, any row of any table as text."""
    if connection.vendor == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        files = [Path(f"{name}{suffix}") for suffix in ("", "-wal", "-shm")]
        return [str(f) for f in files if f.exists() and needle.encode() in f.read_bytes()]
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s',  # noqa: S608
                           [f"%{needle}%"])
            if cursor.fetchone()[0]:
                hits.append(table)
    return hits


@pytest.mark.django_db(transaction=True)
def test_after_ingest_and_searches_the_database_holds_no_patient_in_clear(
        world, client_for, image_store):
    ds = _ingest(world)
    alice = client_for(world.alice)
    assert _uids(alice.get("/dicomweb/studies", {"PatientID": PATIENT_ID})) == [
        ds.StudyInstanceUID]
    assert _uids(alice.get("/dicomweb/studies", {"PatientName": "ZHANGW*"})) == [
        ds.StudyInstanceUID]
    assert _uids(alice.get("/dicomweb/studies", {"PatientBirthDate": BIRTH})) == [
        ds.StudyInstanceUID]  # not a search key: ignored, as before
    shown = alice.get("/dicomweb/studies", {"PatientID": PATIENT_ID,
                                            "includefield": "PatientBirthDate"}).json()[0]
    assert shown["00100010"]["Value"] == [{"Alphabetic": "Zhangwei^Xiuying",
                                           "Ideographic": "张伟^秀英"}]
    assert shown["00100030"]["Value"] == [BIRTH]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
    assert _found_in_database("Centre A")  # the search does see committed clear text
    assert _found_in_database("Ref^Doctor")  # (staff names are not patient data)
    for needle in NEEDLES:
        assert _found_in_database(needle) == [], needle
    for blob in image_store.rglob("*"):
        if blob.is_file():
            assert PATIENT_ID.encode() not in blob.read_bytes()


@pytest.mark.django_db
def test_qido_finds_patients_by_exact_id_exact_name_and_name_prefix(world, client_for):
    ds = _ingest(world)
    other = _ingest(world, patient_name="Zhao^Min", patient_id="PID-OTHER")
    alice = client_for(world.alice)

    def search(**params):
        return _uids(alice.get("/dicomweb/studies", params))

    me, them = [ds.StudyInstanceUID], [other.StudyInstanceUID]
    assert search(PatientID=PATIENT_ID) == me
    assert search(PatientID="pid-secret-4711") == me  # hashes see normalised values
    assert search(PatientID="PID-SECRET") == []
    assert search(PatientName=NAME) == me
    assert search(PatientName="zhangwei^xiuying=张伟^秀英") == me
    assert search(PatientName="Zhang*") == me
    assert search(PatientName="ＺＨＡＮＧ*") == me  # full-width, as Chinese IMEs type it
    assert search(PatientName="ＺＨＡＮＧ＊") == me
    assert search(PatientName="Zhangwei^Xiuying=张*") == me
    assert search(PatientName="Zhangwei^Xiuyin*") == me  # more than 16: decrypted check
    assert search(PatientName="Zhang *") == []  # an inner space is part of the prefix
    assert search(PatientName="Zha*") == sorted(me + them)
    assert search(PatientName="Zhan*") == me
    assert search(PatientName="Z*") == sorted(me + them)
    assert search(PatientName="张*") == me  # the ideographic group on its own
    assert search(PatientName="Zhangwei^X*") == me
    assert search(PatientName="Xiuying*") == []  # DICOM: the pattern is the whole name
    assert search(PatientName="秀英*") == []
    assert search(PatientName="Zhao^M?n") == them
    assert search(PatientName="*min") == them  # no prefix: decrypted candidates, capped
    assert search(PatientID="PID-OTH*") == them
    assert search(PatientName="Zhang*", PatientID="PID-OTHER") == []


@pytest.mark.django_db
def test_a_wildcard_without_prefix_over_too_many_studies_is_refused(world, client_for,
                                                                    settings):
    _ingest(world)
    _ingest(world, patient_name="Zhao^Min", patient_id="PID-OTHER")
    settings.QIDO_DECRYPT_SCAN_MAX = 1
    alice = client_for(world.alice)
    assert len(alice.get("/dicomweb/studies", {"PatientName": "*", "PatientID": "**"})
               .json()) == 2  # "any": no key, nothing to decrypt
    refused = alice.get("/dicomweb/studies", {"PatientName": "*min"})
    assert refused.status_code == 400
    assert "prefix" in refused.json()["message"]
    assert len(alice.get("/dicomweb/studies", {"PatientName": "*min",
                                               "PatientID": "PID-OTHER"}).json()) == 1


@pytest.mark.django_db
def test_the_audit_trail_does_not_record_searched_names_in_clear(world, client_for):
    from cloudhospital.security.models import AuditEntry

    _ingest(world)
    client_for(world.alice).get("/dicomweb/studies", {"PatientName": "Zhangwei*",
                                                      "00100020": PATIENT_ID})
    entry = AuditEntry.objects.filter(action="imaging.qido").latest("id")
    query = entry.detail["query"]
    assert "Zhangwei" not in query and PATIENT_ID not in query and "hmac%3A" in query


@pytest.mark.django_db
def test_rotate_keys_re_encrypts_the_patient_index(world, client_for, settings):
    from imaging.models import DicomPatient

    ds = _ingest(world)
    ring = crypto.keyring()
    specs = [f"{k}:{base64.b64encode(v).decode()}" for k, v in ring.keys.items()]
    settings.LOOKUP_HASH_KEY = ring.lookup_key.decode()
    settings.ENCRYPTION_KEYS = ",".join(
        [*specs, f"rot:{base64.b64encode(os.urandom(32)).decode()}"])
    settings.ENCRYPTION_ACTIVE_KEY = "rot"

    def raw_key_ids():
        with connection.cursor() as cursor:
            cursor.execute("SELECT patient_id, patient_name, birth_date, sex "
                           "FROM imaging_dicompatient")
            return {crypto.envelope_key_id(base64.b64decode(v))
                    for row in cursor.fetchall() for v in row if v}

    assert raw_key_ids() == {ring.active_id}
    call_command("rotate_keys")
    assert raw_key_ids() == {"rot"}
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS.split(",")[-1]  # old key retired
    patient = DicomPatient.objects.get()
    assert (patient.patient_id, patient.patient_name, patient.birth_date) == (
        PATIENT_ID, NAME, BIRTH)
    assert _uids(client_for(world.alice).get(
        "/dicomweb/studies", {"PatientName": "zhangwei*"})) == [ds.StudyInstanceUID]


@pytest.mark.django_db
def test_a_short_prefix_is_answered_from_the_index_without_decrypting(world, client_for,
                                                                      monkeypatch):
    from imaging import patient_index

    ds = _ingest(world)
    _ingest(world, patient_name="Zhao^Min", patient_id="PID-OTHER")
    monkeypatch.setattr(patient_index, "name_matches",
                        lambda *a: pytest.fail("decrypted a name for a prefix search"))
    found = client_for(world.alice).get("/dicomweb/studies", {"PatientName": "zhangwei^x*"})
    assert _uids(found) == [ds.StudyInstanceUID]


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_patients_indexed_before_it():
    from django.db.migrations.executor import MigrationExecutor

    from imaging.models import DicomPatient
    from imaging.patient_index import patient_id_hash

    before = [("imaging", "0001_initial")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("imaging")
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        institution = old.get_model("clinics", "Institution").objects.create(
            name="Before", care_level="grassroots")
        old.get_model("imaging", "DicomPatient").objects.create(
            institution=institution, patient_id=PATIENT_ID, patient_name=NAME,
            birth_date=BIRTH, sex="F")
    finally:
        MigrationExecutor(connection).migrate(latest)
    patient = DicomPatient.objects.get(patient_id_hash=patient_id_hash(PATIENT_ID))
    assert (patient.patient_id, patient.patient_name, patient.birth_date, patient.sex) == (
        PATIENT_ID, NAME, BIRTH, "F")
    with connection.cursor() as cursor:
        cursor.execute("SELECT patient_id, patient_name, birth_date FROM imaging_dicompatient")
        raw = " ".join(v for row in cursor.fetchall() for v in row)
    assert PATIENT_ID not in raw and "Zhangwei" not in raw and BIRTH not in raw
