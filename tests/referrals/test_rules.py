"""The referral rules: direction by care level, the patient belongs to the sender,
consent sends, appointments are in the future, the consultation's report travels, the
green channel heads the worklist, and the patient is told by SMS once."""

import datetime as dt

import pytest
from django.utils import timezone

from clinics.followups.models import Notification, SmsMessage
from clinics.referrals import actions, tasks
from clinics.referrals.models import Referral
from cloudhospital.core.errors import InvalidInput, InvalidTransition, NotAllowed
from cloudhospital.security.models import AuditEntry
from tests.followups.conftest import jobs_of, run_ready_jobs
from tests.referrals.conftest import consent, down_details


def _post(api_as, who, body):
    return api_as(who.user).post("/referrals", body)


def _up_body(world, **extra):
    return {"patient_id": world.pat.pk, "direction": "up", "to_institution_id": world.hospital.pk,
            "to_department_id": world.cardiology.pk, "urgency": "routine",
            "reason": "Chest pain", "summary": "HTN", **extra}


def test_a_clinic_doctor_refers_up_and_gets_a_draft_with_the_api_names(world, api_as):
    response = _post(api_as, world.alice, _up_body(world, to_doctor_id=world.sam.pk))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {body["status"], body["direction"], body["urgency"]} == {"draft", "up", "routine"}
    assert body["to_doctor"] == "Sam" and body["to_department"] == "Cardiology"
    assert AuditEntry.objects.filter(action="referral.create", object_id=body["id"]).exists()


def test_an_upward_referral_to_a_grassroots_centre_is_refused(world, api_as):
    response = _post(api_as, world.alice, _up_body(world, to_institution_id=world.centre_b.pk,
                                                   to_department_id=None))
    assert response.status_code == 422
    assert response.json()["field"] == "to_institution_id"
    assert not Referral.objects.exists()


def test_a_downward_referral_to_a_hospital_or_from_a_centre_is_refused(world, up_at):
    up_at("completed")
    from clinics.models import CareLevel, Institution

    other = Institution.objects.create(name="District", care_level=CareLevel.SECONDARY)
    with pytest.raises(InvalidInput) as to_hospital:
        actions.create_referral(world.sam.user, down_details(world, to_institution=other))
    assert to_hospital.value.extra["field"] == "to_institution_id"
    with pytest.raises(InvalidInput):
        actions.create_referral(world.alice.user, down_details(
            world, to_institution=world.centre_b))


def test_the_patient_must_belong_to_the_senders_institution(world, api_as):
    response = _post(api_as, world.oscar, _up_body(world))
    assert response.status_code == 422 and response.json()["field"] == "patient_id"
    # Down: the hospital refers only a patient who came to it (or is registered there).
    with pytest.raises(InvalidInput) as refused:
        actions.create_referral(world.sam.user, down_details(world))
    assert refused.value.extra["field"] == "patient_id"


def test_an_unlicensed_doctor_and_a_patient_may_not_refer(world, api_as):
    assert _post(api_as, world.dora, _up_body(world)).status_code == 403
    assert api_as(world.pat.user).post("/referrals", _up_body(world)).status_code == 403


def test_an_upward_referral_names_a_department_or_doctor_of_the_receiver(world, api_as):
    nowhere = _post(api_as, world.alice, _up_body(world, to_department_id=None))
    assert nowhere.status_code == 422
    from clinics.models import Department

    elsewhere = Department.objects.create(institution=world.centre_b, name="GP")
    wrong = _post(api_as, world.alice, _up_body(world, to_department_id=elsewhere.pk))
    assert wrong.status_code == 422 and wrong.json()["field"] == "to_department_id"
    mismatch = _post(api_as, world.alice, _up_body(world, to_department_id=world.endocrinology.pk,
                                                   to_doctor_id=world.sam.pk))
    assert mismatch.status_code == 422 and mismatch.json()["field"] == "to_doctor_id"
    not_a_specialist = _post(api_as, world.alice, _up_body(world, to_doctor_id=world.carol.pk))
    assert not_a_specialist.status_code == 422


def test_consent_is_what_sends_a_referral(world, up_at, api_as):
    """A draft is not sent: the receiver does not see it as waiting, and consent moves it
    to requested in the same step (recorded once; a second consent is a 409)."""
    referral = up_at("draft")
    waiting = api_as(world.sam.user).get("/referrals?status=requested").json()
    assert waiting == []
    response = api_as(world.alice.user).post(f"/referrals/{referral.pk}/consent", {
        "signed_by": "Pat's son", "relation": "child", "method": "written",
        "signed_at": (timezone.now() - dt.timedelta(minutes=2)).isoformat()})
    assert response.status_code == 200
    assert response.json()["status"] == "requested"
    assert response.json()["consent"]["signed_by"] == "Pat's son"
    with pytest.raises(InvalidTransition):
        consent(world.alice, Referral.objects.get(pk=referral.pk))


@pytest.mark.parametrize("body,field", [
    ({"signed_by": "Pat", "relation": "cousin-ish", "method": "written"}, "relation"),
    ({"signed_by": "Pat", "relation": "self", "method": "telepathy"}, "method"),
    ({"signed_by": "   ", "relation": "self", "method": "written"}, "signed_by"),
])
def test_bad_consent_is_refused_and_the_draft_stays_a_draft(world, up_at, api_as, body, field):
    referral = up_at("draft")
    response = api_as(world.alice.user).post(f"/referrals/{referral.pk}/consent", {
        **body, "signed_at": timezone.now().isoformat()})
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert Referral.objects.get(pk=referral.pk).status == "draft"


def test_consent_signed_in_the_future_is_refused(world, up_at):
    with pytest.raises(InvalidInput):
        actions.record_consent(world.alice.user, up_at("draft"), signed_by="Pat",
                               relation="self", method="written",
                               signed_at=timezone.now() + dt.timedelta(days=1))


def test_an_appointment_in_the_past_is_refused(world, up_at, api_as):
    referral = up_at("requested")
    response = api_as(world.sam.user).post(f"/referrals/{referral.pk}/accept", {
        "appointment_at": (timezone.now() - dt.timedelta(hours=3)).isoformat()})
    assert response.status_code == 422 and response.json()["field"] == "appointment_at"
    assert Referral.objects.get(pk=referral.pk).status == "requested"


def test_accepting_needs_a_time_or_an_admission_and_not_both(world, up_at, api_as):
    referral = up_at("requested")
    client = api_as(world.carol.user)
    assert client.post(f"/referrals/{referral.pk}/accept", {}).status_code == 422
    later = (timezone.now() + dt.timedelta(days=1)).isoformat()
    both = client.post(f"/referrals/{referral.pk}/accept", {
        "appointment_at": later, "admission": {"ward": "Cardiology ward 3"}})
    assert both.status_code == 422
    admitted = client.post(f"/referrals/{referral.pk}/accept", {
        "admission": {"ward": "Cardiology ward 3", "admit_at": later},
        "location": "Inpatient building"})
    assert admitted.status_code == 200
    appointment = admitted.json()["appointment"]
    assert appointment["kind"] == "inpatient" and appointment["ward"] == "Cardiology ward 3"
    assert appointment["bring"]  # what to bring is always said


def test_the_patient_sees_the_appointment_and_gets_one_sms(world, up_at, api_as):
    referral = up_at("accepted")
    mine = api_as(world.pat.user).get(f"/referrals/{referral.pk}").json()
    assert mine["appointment"]["kind"] == "outpatient"
    assert mine["appointment"]["location"] == "Outpatient building, 2nd floor"
    assert "ID card" in mine["appointment"]["bring"] or "身份证" in mine["appointment"]["bring"]
    [job] = jobs_of(tasks.tell_patient_accepted)
    run_ready_jobs()
    assert tasks.tell_patient_accepted.call(str(referral.pk)) == "already sent"
    [sms] = SmsMessage.objects.all()
    assert sms.patient == world.pat and sms.dedupe_key == f"referral.accepted:{referral.pk}"
    assert "Test Tertiary" in sms.body
    assert Notification.objects.filter(user=world.pat.user, kind="referral_accepted").count() == 1


def test_a_referral_from_a_consultation_carries_its_signed_report(world, consultation_at,
                                                                  api_as):
    consultation = consultation_at("completed")
    response = _post(api_as, world.alice, _up_body(world, consultation_id=str(consultation.pk)))
    assert response.status_code == 201
    report = response.json()["report"]
    assert report["findings"] == "f" and report["author"] == "Sam"


def test_a_consultation_of_another_patient_cannot_be_attached(world, consultation_at, api_as):
    from clinics.consultations.models import Consultation

    consultation = consultation_at("completed")
    Consultation.objects.filter(pk=consultation.pk).update(patient=world.quinn)
    response = _post(api_as, world.alice, _up_body(world, consultation_id=str(consultation.pk)))
    assert response.status_code == 422 and response.json()["field"] == "consultation_id"


def test_urgent_referrals_head_the_receiving_worklist(world, up_at, api_as):
    routine = up_at("requested")
    urgent = up_at("requested", urgency="urgent")
    accepted = up_at("accepted", urgency="urgent")
    for who in (world.sam, world.carol):
        ids = [item["id"] for item in api_as(who.user).get("/referrals").json()]
        assert ids == [str(urgent.pk), str(routine.pk), str(accepted.pk)], who


def test_the_green_channel_has_an_answer_deadline_from_the_setting(world, up_at, settings):
    settings.REFERRAL_URGENT_ANSWER_HOURS = 3
    urgent = up_at("requested", urgency="urgent")
    assert urgent.answer_due_at - urgent.requested_at == dt.timedelta(hours=3)
    assert up_at("requested").answer_due_at is None


def test_cancel_and_decline_need_a_reason(world, up_at):
    referral = up_at("requested")
    with pytest.raises(InvalidInput):
        actions.cancel(world.alice.user, referral, reason="  ")
    with pytest.raises(InvalidInput):
        actions.decline(world.sam.user, referral, reason="")
    assert Referral.objects.get(pk=referral.pk).status == "requested"


def test_the_sender_cannot_answer_its_own_referral(world, up_at):
    with pytest.raises(NotAllowed):
        actions.accept(world.alice.user, up_at("requested"),
                       appointment_at=timezone.now() + dt.timedelta(days=1))


def test_completion_records_the_hospitals_in_person_diagnoses(world, up_at):
    referral = up_at("completed")
    assert referral.diagnoses == [{"icd10": "I25.1", "name": "Chronic ischaemic heart disease"}]
    assert world.pat.diagnoses.filter(icd10="I25.1", institution=world.hospital,
                                      in_person=True).exists()

