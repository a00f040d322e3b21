"""Clinic records encrypted at rest, still found: the database files hold no patient in
clear, names are found by keyed prefix tokens, keys rotate, tampering is detected."""

from __future__ import annotations

import base64
import datetime as dt
import os
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cloudhospital.security import crypto

DEMO_NAME, DEMO_BIRTH = "孙建华", dt.date(1956, 3, 1)  # clinics/demo.py, the first patient
DEMO_REPORT = "HbA1c 8.4%"  # clinics/consultations/demo.py
DEMO_REASON = "基层诊疗需上级医院专科意见"
DEMO_DECLINE = "请先完成足部检查后再申请"
VISIT_NOTE = "夜间头晕两次，自行停药三天"


def _found_in_database(needle: str) -> list[str]:
    """Where a value occurs: the SQLite files byte for byte (WAL and shared memory too),
    or, on PostgreSQL, any row of any table cast to text."""
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


def _checkpoint() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")


def _raw(table: str, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def _key_id(table: str, column: str, pk) -> str:
    return crypto.envelope_key_id(base64.b64decode(_raw(table, column, pk)))


def _seed_with_a_visit_note():
    from clinics import patient_names
    from clinics.followups import notify
    from clinics.followups.models import FollowUpPlan, Visit
    from clinics.models import Patient

    os.environ.setdefault("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo")
    patient = Patient.objects.get(name_hash=patient_names.name_hash(DEMO_NAME))
    plan = FollowUpPlan.objects.filter(patient=patient).first() or FollowUpPlan.objects.create(
        patient=patient, condition="I10", doctor=patient.home_institution.staff.first(),
        next_due_on=dt.date(2030, 1, 1))
    visit = Visit.objects.create(plan=plan, patient=patient, doctor=plan.doctor,
                                 due_on=dt.date(2030, 1, 1), status="completed",
                                 note=VISIT_NOTE, systolic=150, diastolic=95)
    notify.notify(plan.doctor.user, kind="out_of_target", dedupe_key=f"test:{visit.pk}",
                  title=f"{patient.name}: 随访读数超标", body=VISIT_NOTE, patient=patient,
                  data={"note": VISIT_NOTE}, sms=True)
    return patient


@pytest.mark.django_db(transaction=True)
def test_the_database_files_hold_no_demo_patient_report_reason_or_visit_note_in_clear():
    patient = _seed_with_a_visit_note()
    # The values are really there (decrypted by the fields)...
    assert patient.name == DEMO_NAME and patient.date_of_birth == DEMO_BIRTH
    needles = [DEMO_NAME, patient.national_id, DEMO_BIRTH.isoformat(),
               DEMO_BIRTH.strftime("%Y%m%d"), DEMO_REPORT, DEMO_REASON, DEMO_DECLINE,
               VISIT_NOTE, "口服药物控制不佳", "慢病随访中，近期控制不佳"]
    for when in ("before a checkpoint", "after a checkpoint"):
        assert _found_in_database("和平区示范社区卫生服务中心"), when  # the grep does see text
        for needle in needles:
            assert _found_in_database(needle) == [], (when, needle)
        _checkpoint()


@pytest.mark.django_db
def test_the_signature_covers_the_plaintext_and_still_verifies_once_encrypted(world,
                                                                               consultation_at):
    from clinics.consultations import actions
    from clinics.consultations.reports import canonical_bytes, verify

    consultation = consultation_at("in_progress")
    actions.save_report_draft(world.sam.user, consultation, findings="左室肥厚，EF 55%",
                              opinion="继续降压", recommendations="三个月复查")
    report = actions.sign_report(world.sam.user, consultation)
    report = type(report).objects.get(pk=report.pk)
    assert "左室肥厚，EF 55%".encode() in canonical_bytes(report)
    assert verify(report)
    raw = _raw("consultations_report", "findings", report.pk)
    assert "左室肥厚" not in raw and crypto.decrypt_text(raw) == "左室肥厚，EF 55%"


def _patient(world, name: str, n: int, institution=None):
    from clinics.idcard import make_national_id
    from clinics.models import Patient
    from cloudhospital.security.crypto import lookup_hash

    number = make_national_id("210102", dt.date(1970, 1, 1) + dt.timedelta(days=n), 300 + n)
    return Patient.objects.create(
        home_institution=institution or world.centre_a, name=name, sex="M",
        date_of_birth=dt.date(1970, 1, 1) + dt.timedelta(days=n), national_id=number,
        national_id_hash=lookup_hash(number))


@pytest.fixture
def named(world):
    names = ["张三", "张三丰", "张伟", "李四", "Zhang Wei", "ZHANG  min", "Zhao Li",
             "Abcdefghijklmnopqrst", "Abcdefghijklmnopxyz"]
    patients = {name: _patient(world, name, n) for n, name in enumerate(names)}
    patients["outsider"] = _patient(world, "张外", 99, world.centre_b)
    return patients


def _search(client, params: dict) -> list[str]:
    response = client.get("/patients?" + urlencode(params))
    assert response.status_code == 200, response.content
    return [p["name"] for p in response.json()]


@pytest.mark.django_db
def test_name_prefix_search_finds_chinese_and_latin_names_by_keyed_tokens(world, named,
                                                                           api_as):
    alice = api_as(world.alice.user)
    assert _search(alice, {"name": "张"}) == ["张三", "张三丰", "张伟"]
    assert _search(alice, {"name": "张三"}) == ["张三", "张三丰"]
    assert _search(alice, {"name": "zhang"}) == ["ZHANG  min", "Zhang Wei"]
    assert _search(alice, {"name": "ＺＨＡＮＧ*"}) == ["ZHANG  min", "Zhang Wei"]
    assert _search(alice, {"name": "zhang m"}) == ["ZHANG  min"]
    # Longer than the 16 characters the tokens cover: narrowed by tokens, checked decrypted.
    assert _search(alice, {"name": "abcdefghijklmnopq"}) == [
        "Abcdefghijklmnopqrst"]
    assert _search(alice, {"name": "王"}) == []


@pytest.mark.django_db
def test_exact_name_look_up_uses_the_keyed_hash_and_respects_visibility(world, named, api_as):
    from clinics.models import Patient

    alice = api_as(world.alice.user)
    assert _search(alice, {"name": "张三", "exact": "true"}) == ["张三"]
    assert _search(alice, {"name": " zhang   wei ", "exact": "true"}) == [
        "Zhang Wei"]
    assert _search(alice, {"name": "张外"}) == []  # centre B's patient
    assert _search(api_as(world.oscar.user), {"name": "张"}) == ["张外"]
    assert Patient.objects.filter(name_hash=named["张三"].name_hash).count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM clinics_patientnametoken")
        tokens = [row[0] for row in cursor.fetchall()]
    assert tokens and all(len(t) == 64 and "张" not in t for t in tokens)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "*", "a\x00b", "\x07bell", "张" * 101,
                                  "x" * 100_000])
def test_hostile_name_searches_are_refused_with_422(world, named, api_as, text):
    response = api_as(world.alice.user).get("/patients?" + urlencode({"name": text}))
    assert 400 <= response.status_code < 500 and response.status_code != 404, text[:20]
    assert response.json()["error"]


@pytest.mark.django_db
def test_anonymous_name_search_is_refused(client, named):
    assert client.get("/api/v1/patients?" + urlencode({"name": "张"})).status_code == 401


@pytest.mark.django_db
def test_an_encrypted_field_refuses_sql_lookups_it_cannot_answer(world):
    from django.core.exceptions import FieldError

    from clinics.models import Patient

    with pytest.raises(FieldError):
        list(Patient.objects.filter(name__startswith="张"))


@pytest.mark.django_db
def test_rotate_keys_re_encrypts_clinic_records_and_searches_still_work(
        world, named, consultation_at, settings, api_as, fu_note):
    from clinics.consultations import actions
    from clinics.consultations.reports import verify
    from clinics.models import Patient

    consultation = consultation_at("in_progress")
    actions.save_report_draft(world.sam.user, consultation, findings="F-旋转", opinion="O",
                              recommendations="R")
    report = actions.sign_report(world.sam.user, consultation)
    ring = crypto.keyring()
    old_id = ring.active_id
    specs = [f"{k}:{base64.b64encode(v).decode()}" for k, v in ring.keys.items()]
    settings.LOOKUP_HASH_KEY = ring.lookup_key.decode()
    new_key = base64.b64encode(os.urandom(32)).decode()
    settings.ENCRYPTION_KEYS = ",".join([*specs, f"new:{new_key}"])
    settings.ENCRYPTION_ACTIVE_KEY = "new"
    columns = [("clinics_patient", "name", named["张三"].pk),
               ("clinics_patient", "date_of_birth", named["张三"].pk),
               ("consultations_consultation", "reason", consultation.pk.hex),
               ("consultations_consent", "signed_by", consultation.consent.pk),
               ("consultations_report", "findings", report.pk),
               ("followups_visit", "note", fu_note.pk)]
    assert {_key_id(*c) for c in columns} == {old_id}

    call_command("rotate_keys")

    assert {_key_id(*c) for c in columns} == {"new"}
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS.split(",")[-1]  # old key retired
    again = Patient.objects.get(pk=named["张三"].pk)
    assert (again.name, again.date_of_birth) == ("张三", named["张三"].date_of_birth)
    assert verify(type(report).objects.get(pk=report.pk))
    assert type(fu_note).objects.get(pk=fu_note.pk).note == "头痛"
    assert _search(api_as(world.alice.user), {"name": "张三"}) == [
        "张三", "张三丰"]


@pytest.fixture
def fu_note(world):
    from clinics.followups.models import FollowUpPlan, Visit

    plan = FollowUpPlan.objects.create(patient=world.pat, condition="I10", doctor=world.alice,
                                       next_due_on=dt.date(2030, 1, 1))
    return Visit.objects.create(plan=plan, patient=world.pat, doctor=world.alice,
                                due_on=dt.date(2030, 1, 1), note="头痛")


@pytest.mark.django_db
def test_a_tampered_ciphertext_is_an_error_never_garbage(world, api_as):
    from clinics.models import Patient

    raw = bytearray(base64.b64decode(_raw("clinics_patient", "name", world.pat.pk)))
    raw[-1] ^= 1
    with connection.cursor() as cursor:
        cursor.execute("UPDATE clinics_patient SET name = %s WHERE id = %s",
                       [base64.b64encode(bytes(raw)).decode(), world.pat.pk])
    with pytest.raises(crypto.DecryptionError):
        Patient.objects.get(pk=world.pat.pk)
    response = api_as(world.alice.user).get(f"/patients/{world.pat.pk}")
    assert response.status_code == 409 and response.json()["error"] == "record_unreadable"


@pytest.mark.django_db
def test_a_stored_date_of_birth_is_a_date_and_ages_still_compute(world):
    from clinics.models import Patient

    pat = Patient.objects.get(pk=world.pat.pk)
    assert isinstance(pat.date_of_birth, dt.date)
    assert (timezone.localdate() - pat.date_of_birth).days > 0
    assert pat.date_of_birth.isoformat() not in _raw("clinics_patient", "date_of_birth",
                                                     pat.pk)


@pytest.mark.django_db(transaction=True)
def test_the_migrations_encrypt_rows_written_in_clear_before_them():
    from django.contrib.auth import get_user_model
    from django.db.migrations.executor import MigrationExecutor

    from clinics import patient_names
    from clinics.consultations.models import Report
    from clinics.followups.models import Notification, Visit
    from clinics.models import Patient

    before = [("clinics", "0001_initial"), ("consultations", "0001_initial"),
              ("followups", "0001_initial")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        user = old.get_model(*get_user_model()._meta.label.split(".")).objects.create(
            username="before")
        centre = old.get_model("clinics", "Institution").objects.create(
            name="Before", care_level="grassroots")
        staff = old.get_model("clinics", "Staff").objects.create(
            user_id=user.pk, institution=centre, role="specialist", real_name="医生")
        patient = old.get_model("clinics", "Patient").objects.create(
            home_institution=centre, name="欧阳晓燕", sex="F", date_of_birth=dt.date(1959, 8, 7),
            national_id="cipher-not-needed", national_id_hash="h1")
        old.get_model("clinics", "Diagnosis").objects.create(
            patient=patient, icd10="E11", name="糖尿病伴周围神经病变", institution=centre,
            diagnosed_on=dt.date(2020, 1, 1))
        consultation = old.get_model("consultations", "Consultation").objects.create(
            patient=patient, requested_by=staff, inviting_institution=centre,
            invited_institution=centre, reason="足部麻木加重", clinical_question="Q",
            record_summary="S")
        old.get_model("consultations", "Report").objects.create(
            consultation=consultation, author=staff, findings="足背动脉搏动减弱",
            opinion="O", recommendations="R")
        plan = old.get_model("followups", "FollowUpPlan").objects.create(
            patient=patient, condition="E11", doctor=staff, next_due_on=dt.date(2030, 1, 1))
        old.get_model("followups", "Visit").objects.create(
            plan=plan, patient=patient, doctor=staff, due_on=dt.date(2030, 1, 1),
            note="夜尿增多")
        old.get_model("followups", "Notification").objects.create(
            user_id=user.pk, kind="k", dedupe_key="d", title="欧阳晓燕: 超标",
            data={"reasons": ["空腹血糖偏高"]})
    finally:
        MigrationExecutor(connection).migrate(latest)
    patient = Patient.objects.get(name_hash=patient_names.name_hash("欧阳晓燕"))
    assert (patient.name, patient.date_of_birth) == ("欧阳晓燕", dt.date(1959, 8, 7))
    assert patient.diagnoses.get().name == "糖尿病伴周围神经病变"
    assert Report.objects.get().findings == "足背动脉搏动减弱"
    assert Visit.objects.get().note == "夜尿增多"
    assert Notification.objects.get().data == {"reasons": ["空腹血糖偏高"]}
    for needle in ("欧阳晓燕", "1959-08-07", "糖尿病伴周围神经病变", "足部麻木加重",
                   "足背动脉搏动减弱", "夜尿增多", "空腹血糖偏高"):
        _checkpoint()
        assert _found_in_database(needle) == [], needle
    from clinics.models import PatientNameToken

    assert PatientNameToken.objects.filter(
        patient=patient, token=patient_names.prefix_token("欧阳")).exists()


@pytest.mark.django_db
def test_the_patient_search_page_finds_by_prefix_and_refuses_hostile_input(world, named,
                                                                           client_for):
    page = client_for(world.alice)
    found = page.get("/patients/?" + urlencode({"name": "张三"})).content.decode()
    assert "张三丰" in found and "张伟" not in found and "李四" not in found
    exact = page.get("/patients/?" + urlencode({"name": "张三", "exact": "1"})).content.decode()
    assert "张三丰" not in exact and "张三" in exact
    assert "患者" in page.get("/patients/").content.decode()
    for text in ("", "*", "a\x00b", "x" * 5000):
        response = page.get("/patients/?" + urlencode({"name": text}))
        assert 400 <= response.status_code < 500, text[:10]
    assert client_for(world.pat.user).get("/patients/?name=%E5%BC%A0").status_code == 404


@pytest.mark.django_db
def test_the_admin_lists_patients_without_sorting_on_an_encrypted_column(world, named,
                                                                          client_for):
    admin = client_for(world.admin)
    page = admin.get("/admin/clinics/patient/").content.decode()
    assert "张三丰" in page
    assert admin.get("/admin/clinics/patient/?o=1").status_code == 200
    assert admin.get(f"/admin/clinics/patient/{named['张三'].pk}/change/").status_code == 200
