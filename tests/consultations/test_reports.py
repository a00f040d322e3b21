"""Reports: signed with Ed25519, verifiable by readers, immutable, amended by new versions."""

import pytest
from django.db import connection

from clinics.consultations import actions, reports
from clinics.consultations.models import ImmutableReportError, Report


@pytest.fixture
def in_progress(consultation_at):
    return consultation_at("in_progress")


def _write_and_sign(world, consultation, findings="BP 165/100"):
    actions.save_report_draft(world.sam.user, consultation, findings=findings,
                              opinion="Uncontrolled HTN", recommendations="Add amlodipine")
    return actions.sign_report(world.sam.user, consultation)


def test_a_signed_report_verifies_for_every_reader(world, in_progress, api_as):
    report = _write_and_sign(world, in_progress)
    assert reports.verify(report)
    for reader in (world.sam, world.alice, world.carol):
        response = api_as(reader.user).get(f"/consultations/{in_progress.pk}/reports/1/verify")
        assert response.status_code == 200
        assert response.json()["valid"] is True
        assert response.json()["licence_number"] == world.sam.licence_number
    patient_view = api_as(world.pat.user).get(f"/consultations/{in_progress.pk}/reports")
    assert [r["version"] for r in patient_view.json()] == [1]


def test_a_tampered_report_fails_verification(world, in_progress, api_as):
    report = _write_and_sign(world, in_progress)
    with connection.cursor() as cursor:  # an attacker with database access, not the keys:
        # the text is encrypted, so the best they can do is move a valid envelope around
        cursor.execute("UPDATE consultations_report SET opinion = findings WHERE id = %s",
                       [report.pk])
    response = api_as(world.alice.user).get(f"/consultations/{in_progress.pk}/reports/1/verify")
    assert response.json()["valid"] is False


def test_clear_text_written_over_a_report_envelope_is_refused_not_shown(world, in_progress,
                                                                        api_as):
    report = _write_and_sign(world, in_progress)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE consultations_report SET opinion = %s WHERE id = %s",
                       ["Everything is fine", report.pk])
    response = api_as(world.alice.user).get(f"/consultations/{in_progress.pk}/reports/1/verify")
    assert response.status_code == 409
    assert response.json()["error"] == "record_unreadable"
    assert "Everything is fine" not in response.content.decode()


def test_a_signed_report_cannot_be_changed_or_deleted(world, in_progress):
    report = _write_and_sign(world, in_progress)
    report.findings = "rewritten"
    with pytest.raises(ImmutableReportError):
        report.save()
    with pytest.raises(ImmutableReportError):
        report.delete()


def test_an_amendment_is_a_new_signed_version(world, in_progress, api_as):
    _write_and_sign(world, in_progress)
    client = api_as(world.sam.user)
    draft = client.put(f"/consultations/{in_progress.pk}/report",
                       {"findings": "BP 150/95 on recheck", "opinion": "Amended"})
    assert draft.status_code == 200 and draft.json()["version"] == 2
    signed = client.post(f"/consultations/{in_progress.pk}/report/sign")
    assert signed.json()["version"] == 2 and signed.json()["signature"]
    assert Report.objects.get(consultation=in_progress, version=1).findings == "BP 165/100"
    readers = api_as(world.alice.user).get(f"/consultations/{in_progress.pk}/reports").json()
    assert [r["version"] for r in readers] == [1, 2]


def test_drafts_are_hidden_from_everyone_but_the_author(world, in_progress, api_as):
    api_as(world.sam.user).put(f"/consultations/{in_progress.pk}/report",
                               {"findings": "draft", "opinion": "draft"})
    assert api_as(world.alice.user).get(f"/consultations/{in_progress.pk}/reports").json() == []
    assert len(api_as(world.sam.user).get(
        f"/consultations/{in_progress.pk}/reports").json()) == 1


def test_only_the_consultation_specialist_writes_and_signs(world, in_progress, api_as):
    body = {"findings": "f", "opinion": "o"}
    assert api_as(world.alice.user).put(
        f"/consultations/{in_progress.pk}/report", body).status_code == 403
    assert api_as(world.tom.user).put(
        f"/consultations/{in_progress.pk}/report", body).status_code == 404
    response = api_as(world.sam.user).post(f"/consultations/{in_progress.pk}/report/sign")
    assert response.status_code == 422  # nothing to sign yet


def test_no_report_before_scheduling(world, consultation_at, api_as):
    requested = consultation_at("requested")
    response = api_as(world.sam.user).put(f"/consultations/{requested.pk}/report",
                                          {"findings": "f", "opinion": "o"})
    assert response.status_code == 409


def test_the_clinic_doctor_acknowledges_a_signed_report(world, in_progress, api_as):
    client = api_as(world.alice.user)
    assert client.post(f"/consultations/{in_progress.pk}/acknowledge").status_code == 422
    _write_and_sign(world, in_progress)
    assert api_as(world.sam.user).post(
        f"/consultations/{in_progress.pk}/acknowledge").status_code == 403
    response = client.post(f"/consultations/{in_progress.pk}/acknowledge")
    assert response.status_code == 200 and response.json()["acknowledged_at"]


def test_completing_needs_a_signed_report(world, in_progress, api_as):
    response = api_as(world.sam.user).post(f"/consultations/{in_progress.pk}/complete")
    assert response.status_code == 422
    _write_and_sign(world, in_progress)
    assert api_as(world.sam.user).post(
        f"/consultations/{in_progress.pk}/complete").json()["status"] == "completed"
