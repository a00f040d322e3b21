"""Never another patient's images: a study naming someone else is refused (409
patient_mismatch, both identities side by side) unless the clinic doctor confirms with a
reason, which is audited and stays visible on the consultation."""

from __future__ import annotations

import pytest

from cloudhospital.security.models import AuditEntry
from imaging import identity_check
from imaging.ingest import ingest_instance
from imaging.models import Study, StudyShare
from tests.imaging.dicomfiles import encode, series

pytestmark = pytest.mark.django_db


def study_of(world, **identity):
    """A one-slice study at alice's centre naming ``identity`` (defaults: pat exactly)."""
    values = {"patient_name": "Pat", "patient_id": world.pat.national_id}
    values.update({k: v for k, v in identity.items() if k in ("patient_name", "patient_id")})
    ds = series(1, **values)[0]
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientBirthDate = identity.get("birth", "19560301")
    ds.PatientSex = identity.get("sex", "M")
    ingest_instance(encode(ds), institution=world.centre_a, source="upload")
    return ds.StudyInstanceUID


def attach(api_as, world, consultation, uid, **body):
    return api_as(world.alice.user).post(f"/consultations/{consultation.pk}/studies",
                                         {"study_instance_uid": uid, **body})


def test_the_patients_own_study_attaches_without_a_question(world, api_as, consultation_at):
    consultation = consultation_at("scheduled")
    answer = attach(api_as, world, consultation, study_of(world))
    assert answer.status_code == 201, answer.json()
    assert answer.json()["identity_mismatch"] == []


def test_an_ideographic_name_group_matches_the_registry_name(world, api_as, consultation_at):
    world.pat.name = "孙建华"
    world.pat.save()
    consultation = consultation_at("scheduled")
    uid = study_of(world, patient_name="SUN^JIANHUA=孙^建华")
    assert attach(api_as, world, consultation, uid).status_code == 201


@pytest.mark.parametrize(("identity", "field"), [
    ({"patient_id": "P-001"}, "patient_id"),
    ({"patient_id": ""}, "patient_id"),
    ({"patient_name": "ZHOU^LI"}, "name"),
    ({"birth": "19600102"}, "birth_date"),
    ({"birth": ""}, "birth_date"),
    ({"sex": "F"}, "sex"),
    ({"sex": "O"}, "sex"),
])
def test_a_study_of_another_patient_is_refused_with_both_identities(
        world, api_as, consultation_at, identity, field):
    consultation = consultation_at("scheduled")
    uid = study_of(world, **identity)
    answer = attach(api_as, world, consultation, uid)
    assert answer.status_code == 409
    body = answer.json()
    assert body["error"] == "patient_mismatch"
    assert body["differences"] == [field]
    assert body["consultation_patient"]["name"] == "Pat"
    assert body["consultation_patient"]["sex"] == "男"
    assert body["consultation_patient"]["id_tail"] == "…" + world.pat.national_id[-4:]
    assert set(body["study_patient"]) == {"name", "sex", "age", "birth_date", "id_tail"}
    assert not StudyShare.objects.filter(consultation=consultation).exists()
    assert not AuditEntry.objects.filter(action="imaging.attach").exists()


def test_the_wrong_patients_ct_is_shown_decoded_beside_the_right_one(world, api_as,
                                                                      consultation_at):
    consultation = consultation_at("scheduled")
    uid = study_of(world, patient_name="ZHOU^LI", patient_id="CT-20260001", birth="19800515",
                   sex="F")
    body = attach(api_as, world, consultation, uid).json()
    assert body["differences"] == ["patient_id", "name", "birth_date", "sex"]
    assert body["study_patient"]["name"] == "ZHOU LI"
    assert body["study_patient"]["sex"] == "女"
    assert body["study_patient"]["birth_date"] == "1980年5月15日"
    assert body["study_patient"]["id_tail"] == "…0001"


def test_a_reason_attaches_it_audited_and_flagged(world, api_as, consultation_at, client_for):
    consultation = consultation_at("scheduled")
    uid = study_of(world, patient_name="ZHOU^LI")
    answer = attach(api_as, world, consultation, uid,
                    mismatch_reason="  name typed wrong at the CT console;  checked ID card ")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["identity_mismatch"] == ["name"]
    share = StudyShare.objects.get(consultation=consultation)
    assert share.identity_mismatch == ["name"]
    assert share.mismatch_reason == "name typed wrong at the CT console; checked ID card"
    entry = AuditEntry.objects.get(action="imaging.attach.mismatch_confirmed")
    assert entry.actor == world.alice.user
    assert entry.patient_id == world.pat.pk
    assert entry.detail["reason"] == share.mismatch_reason
    assert entry.detail["fields"] == ["name"]
    page = client_for(world.sam).get(f"/consultations/{consultation.pk}/").content.decode()
    assert "identity-mismatch" in page and "ZHOU LI" in page
    assert "checked ID card" in page


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_an_empty_reason_does_not_confirm(world, api_as, consultation_at, reason):
    consultation = consultation_at("scheduled")
    uid = study_of(world, sex="F")
    assert attach(api_as, world, consultation, uid, mismatch_reason=reason).status_code == 409


@pytest.mark.parametrize("reason", [None, 42, ["why"], {"a": 1}, "x" * 501])
def test_hostile_reasons_are_refused_without_attaching(world, api_as, consultation_at, reason):
    consultation = consultation_at("scheduled")
    uid = study_of(world, sex="F")
    answer = attach(api_as, world, consultation, uid, mismatch_reason=reason)
    assert answer.status_code == 422, answer.content
    assert answer.json()["error"] == "invalid_input"
    assert not StudyShare.objects.filter(consultation=consultation).exists()


def test_the_refusal_does_not_reveal_a_study_of_another_centre(world, api_as, consultation_at):
    consultation = consultation_at("scheduled")
    ds = series(1, patient_name="ZHOU^LI")[0]
    ingest_instance(encode(ds), institution=world.centre_b, source="upload")
    answer = attach(api_as, world, consultation, ds.StudyInstanceUID)
    assert answer.status_code == 404
    assert "study_patient" not in answer.json()


def test_the_page_shows_both_identities_and_takes_a_reason(world, consultation_at, client_for):
    consultation = consultation_at("scheduled")
    uid = study_of(world, patient_name="ZHOU^LI", sex="F")
    alice = client_for(world.alice)
    refused = alice.post(f"/imaging/studies/{uid}/attach/",
                         {"consultation": str(consultation.pk)})
    assert refused.status_code == 409
    page = refused.content.decode()
    assert 'id="mine-name">Pat<' in page and 'id="theirs-name">ZHOU LI<' in page
    assert 'name="mismatch_reason"' in page
    accepted = alice.post(f"/imaging/studies/{uid}/attach/",
                          {"consultation": str(consultation.pk),
                           "mismatch_reason": "referral letter confirms same patient"})
    assert accepted.status_code == 302
    assert StudyShare.objects.get(consultation=consultation).identity_mismatch == [
        "name", "sex"]


def test_differences_read_the_decrypted_index(world):
    uid = study_of(world, patient_name="Pat^", patient_id=world.pat.national_id.lower())
    patient = Study.objects.get(study_instance_uid=uid).patient
    assert identity_check.differences(world.pat, patient) == []
