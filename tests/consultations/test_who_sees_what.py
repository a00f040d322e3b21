"""Each record is seen only by those who may see it (issue 10, item 5).

- a draft report is its author's alone until signed (API, pages, the report editor);
- a draft consultation belongs to the inviting side until it is sent (lists, detail,
  API, tickets, rooms, the imaging grant of a study attached to it);
- whatever a user may not see answers 404, exactly as an id that does not exist: 403 is
  kept only for someone who may see the record but not take this step.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.utils import timezone

from clinics.consultations import actions
from tests.conftest import Api

EVERYONE = ["alice", "oscar", "dora", "sam", "tom", "carol", "pat", "quinn", "admin"]
INVITING_SIDE = {"alice", "dora", "pat", "admin"}  # alice's centre, the patient, the admin


def user_of(world, name):
    person = getattr(world, name)
    return getattr(person, "user", person)


def _draft_report(world, consultation):
    return actions.save_report_draft(world.sam.user, consultation, findings="SECRET-FINDING",
                                     opinion="SECRET-OPINION", recommendations="SECRET-REC")


# --- a draft report is its author's alone -------------------------------------------------

@pytest.mark.parametrize("who", EVERYONE)
def test_an_unsigned_draft_report_is_shown_to_its_author_only(world, consultation_at, who):
    consultation = consultation_at("in_progress")
    _draft_report(world, consultation)
    user = user_of(world, who)
    api, page = Api(user), Api(user, session=True).client
    reports = api.get(f"/consultations/{consultation.pk}/reports")
    detail = page.get(f"/consultations/{consultation.pk}/")
    editor = page.get(f"/consultations/{consultation.pk}/report/")
    if who == "sam":
        assert "SECRET-FINDING" in str(reports.json())
        assert "SECRET-FINDING" in detail.content.decode()
        assert "SECRET-FINDING" in editor.content.decode()
        return
    for response in (reports, detail, editor):
        assert "SECRET" not in response.content.decode()
    assert reports.status_code in (200, 404)
    if reports.status_code == 200:  # may see the consultation: no draft in it
        assert reports.json() == []
        assert detail.status_code == 200
        assert editor.status_code == 403  # sees the consultation, may not write its report
    else:
        assert detail.status_code == 404 and editor.status_code == 404


def test_the_clinic_doctor_sees_no_acknowledge_button_for_a_mere_draft(world, consultation_at):
    consultation = consultation_at("in_progress")
    _draft_report(world, consultation)
    html = Api(world.alice, session=True).client.get(
        f"/consultations/{consultation.pk}/").content.decode()
    assert "/do/acknowledge/" not in html
    actions.sign_report(world.sam.user, consultation)
    html = Api(world.alice, session=True).client.get(
        f"/consultations/{consultation.pk}/").content.decode()
    assert "/do/acknowledge/" in html and "SECRET-FINDING" in html


def test_an_amendment_draft_stays_hidden_while_the_signed_version_is_shown(
        world, consultation_at):
    consultation = consultation_at("in_progress")
    _draft_report(world, consultation)
    actions.sign_report(world.sam.user, consultation)
    actions.save_report_draft(world.sam.user, consultation, findings="AMENDING-DRAFT",
                              opinion="o", recommendations="")
    for who in ("alice", "carol", "pat"):
        user = user_of(world, who)
        listed = Api(user).get(f"/consultations/{consultation.pk}/reports").json()
        assert [r["version"] for r in listed] == [1]
        html = Api(user, session=True).client.get(
            f"/consultations/{consultation.pk}/").content.decode()
        assert "SECRET-FINDING" in html and "AMENDING-DRAFT" not in html
    editor = Api(world.sam, session=True).client.get(f"/consultations/{consultation.pk}/report/")
    assert "AMENDING-DRAFT" in editor.content.decode()


# --- a draft consultation belongs to the inviting side ------------------------------------

def _listed(world, who, consultation):
    items = Api(user_of(world, who)).get("/consultations")
    assert items.status_code == 200
    return str(consultation.pk) in {c["id"] for c in items.json()}


@pytest.mark.parametrize("who", EVERYONE)
def test_a_draft_not_yet_sent_is_seen_by_the_inviting_side_only(world, consultation_at, who):
    consultation = consultation_at("draft")
    actions.record_consent(world.alice.user, consultation, signed_by="Pat", relation="self",
                           signed_at=timezone.now(),
                           method="written")
    user = user_of(world, who)
    may_see = who in INVITING_SIDE
    assert _listed(world, who, consultation) is may_see
    api = Api(user)
    expected = 200 if may_see else 404
    assert api.get(f"/consultations/{consultation.pk}").status_code == expected
    page = Api(user, session=True).client
    assert page.get(f"/consultations/{consultation.pk}/").status_code == expected
    if who == "pat":
        assert str(consultation.pk) in page.get("/me/").content.decode()
    if not may_see:
        # acting on it answers as for an id that does not exist
        assert api.post(f"/consultations/{consultation.pk}/accept").status_code == 404
        assert api.post(f"/consultations/{consultation.pk}/cancel",
                        {"reason": "x"}).status_code == 404
        assert page.post(f"/consultations/{consultation.pk}/do/accept/").status_code == 404
        assert page.get(f"/consultations/{consultation.pk}/room/").status_code == 404
        ticket = api.post(f"/consultations/{consultation.pk}/signaling-ticket")
        assert ticket.status_code == 404 and ticket.json()["error"] == "not_found"


def test_once_sent_the_invited_side_sees_it_and_a_draft_cancelled_unsent_stays_hidden(
        world, consultation_at):
    sent = consultation_at("requested")
    assert _listed(world, "sam", sent) and _listed(world, "carol", sent)
    unsent = actions.cancel(world.alice.user, consultation_at("draft"), reason="duplicate")
    for who in ("sam", "carol", "tom"):
        assert not _listed(world, who, unsent)
        assert Api(user_of(world, who)).get(f"/consultations/{unsent.pk}").status_code == 404
    assert _listed(world, "alice", unsent)


def test_a_department_draft_is_hidden_from_the_department_until_sent(world, consultation_at):
    from clinics.consultations.models import Consultation

    draft = consultation_at("draft")
    Consultation.objects.filter(pk=draft.pk).update(specialist=None,
                                                    invited_department=world.cardiology)
    assert not _listed(world, "sam", draft)


def test_the_specialist_does_not_see_the_patient_of_an_unsent_draft(world, consultation_at):
    from clinics.access import visible_patients

    consultation_at("draft")
    assert not visible_patients(world.sam.user).filter(pk=world.pat.pk).exists()
    consultation_at("requested")
    assert visible_patients(world.sam.user).filter(pk=world.pat.pk).exists()


def test_a_study_attached_to_an_unsent_draft_is_not_shared_with_the_specialist(
        world, consultation_at):
    from imaging import sharing
    from imaging.models import DicomPatient, Study, StudyShare

    draft = consultation_at("draft")
    dicom_patient = DicomPatient.objects.create(institution=world.centre_a, patient_id="P1")
    study = Study.objects.create(study_instance_uid="1.2.826.0.1.3680043.2.1125.99.1",
                                 patient=dicom_patient, institution=world.centre_a)
    StudyShare.objects.create(study=study, consultation=draft, shared_by=world.alice)
    assert not sharing.visible_studies(world.sam.user).filter(pk=study.pk).exists()
    actions.record_consent(world.alice.user, draft, signed_by="Pat", relation="self",
                           signed_at=timezone.now(),
                           method="written")
    actions.submit_request(world.alice.user, draft)
    assert sharing.visible_studies(world.sam.user).filter(pk=study.pk).exists()


# --- 404 for what may not be seen, 403 only for a step someone who sees may not take --------

OUTSIDERS = ["oscar", "tom", "quinn"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_tickets_and_room_pages_answer_outsiders_as_for_an_unknown_id(
        world, consultation_at, who):
    consultation = consultation_at("scheduled")
    user = user_of(world, who)
    api, page = Api(user), Api(user, session=True).client
    for target in (consultation.pk, uuid.uuid4()):
        ticket = api.post(f"/consultations/{target}/signaling-ticket")
        assert ticket.status_code == 404 and ticket.json()["error"] == "not_found"
        assert page.get(f"/consultations/{target}/room/").status_code == 404
    assert "SECRET" not in page.get(f"/consultations/{consultation.pk}/room/").content.decode()


def test_a_coordinator_of_another_institution_is_answered_404(world, consultation_at):
    consultation = consultation_at("scheduled")
    world.carol.institution = world.centre_b
    world.carol.save()
    api = Api(world.carol)
    assert api.post(f"/consultations/{consultation.pk}/signaling-ticket").status_code == 404
    assert api.get(f"/consultations/{consultation.pk}").status_code == 404


def test_those_who_see_the_consultation_but_may_not_take_the_step_get_403(
        world, consultation_at):
    consultation = consultation_at("scheduled")
    # dora sees her centre's consultation but her licence is not verified: may not join
    ticket = Api(world.dora).post(f"/consultations/{consultation.pk}/signaling-ticket")
    assert ticket.status_code == 403
    # alice sees it but accepting is the specialist's step
    requested = consultation_at("requested")
    assert Api(world.alice).post(f"/consultations/{requested.pk}/accept").status_code == 403


def test_the_room_page_of_a_malformed_or_huge_visit_id_is_404(world):
    page = Api(world.pat, session=True).client
    for object_id in ("99999999999999999999999", "9" * 5000, "²", "1e3", "-1"):
        assert page.get(f"/visits/{object_id}/room/").status_code == 404, object_id
        ticket = Api(world.pat).post(f"/visits/{object_id}/signaling-ticket")
        assert ticket.status_code == 404, object_id
    assert Client().get("/visits/1/room/").status_code == 302
