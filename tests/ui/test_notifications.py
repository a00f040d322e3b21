"""Workflow notifications: queued in the action's transaction, delivered once in-app (live)
and by SMS when the person wants it, with a link to the consultation."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from clinics.consultations import actions, notifications
from clinics.followups.models import Notification, NotificationPreference, SmsMessage
from tests.followups.conftest import jobs_of, run_ready_jobs


def _kinds(user) -> list[str]:
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_a_sent_request_tells_the_invited_specialist_once(world, consultation_at):
    consultation = consultation_at("requested")
    run_ready_jobs()
    run_ready_jobs(ignore_run_after=True)  # nothing left to run twice
    [note] = Notification.objects.filter(user=world.sam.user)
    assert note.kind == "consultation.requested" and note.title == "新的会诊申请"
    assert "Pat" in note.body and note.data["url"] == f"/consultations/{consultation.pk}/"
    assert _kinds(world.tom.user) == [] and _kinds(world.alice.user) == []
    # A retried job (the worker died after delivering) tells nobody again.
    assert notifications.notify_consultation.call(
        str(consultation.pk), "requested", "") == "sent 0"


def test_a_request_to_a_department_tells_its_specialists(world):
    draft = actions.create_request(world.alice.user, actions.RequestDetails(
        patient=world.pat, invited_institution=world.hospital, department=world.cardiology,
        specialist=None, reason="r", clinical_question="q", record_summary="s"))
    actions.record_consent(world.alice.user, draft, signed_by="Pat", relation="self",
                           signed_at=timezone.now(), method="written")
    actions.submit_request(world.alice.user, draft)
    run_ready_jobs()
    assert _kinds(world.sam.user) == ["consultation.requested"]
    assert _kinds(world.tom.user) == []  # endocrinology


def test_the_clinic_doctor_hears_of_acceptance_schedule_reschedule_and_signing(
        world, consultation_at):
    consultation = consultation_at("scheduled")
    actions.schedule(world.sam.user, consultation,
                     when=timezone.now() + dt.timedelta(hours=3))
    actions.start(world.sam.user, consultation)
    actions.save_report_draft(world.sam.user, consultation, findings="f", opinion="o",
                              recommendations="r")
    actions.sign_report(world.sam.user, consultation)
    run_ready_jobs()
    titles = list(Notification.objects.filter(user=world.alice.user)
                  .order_by("id").values_list("title", flat=True))
    assert titles == ["会诊已接受", "会诊已安排", "会诊时间已更改", "报告已签署"]
    assert _kinds(world.sam.user) == ["consultation.requested"]


def test_both_doctors_are_reminded_15_minutes_before_and_a_moved_time_is_not(
        world, consultation_at):
    consultation = consultation_at("scheduled")
    first = consultation.scheduled_at
    [reminder] = jobs_of(notifications.remind_consultation)
    assert reminder.run_after == first - dt.timedelta(minutes=15)
    later = first + dt.timedelta(hours=2)
    actions.schedule(world.sam.user, consultation, when=later)
    results = {r.args_kwargs["args"][1]: r for r in run_ready_jobs(ignore_run_after=True)
               if r.task_path.endswith("remind_consultation")}
    assert results[first.isoformat()].return_value == "skipped"
    assert results[later.isoformat()].return_value == "sent 2"
    for doctor in (world.alice, world.sam):
        [note] = Notification.objects.filter(user=doctor.user, kind="consultation.reminder")
        assert note.title == "会诊将在15分钟后开始"


def test_sms_goes_only_to_who_asked_for_it_signed_and_with_the_link(world, consultation_at):
    NotificationPreference.objects.create(user=world.alice.user, sms_enabled=True,
                                          phone="13800000002")
    NotificationPreference.objects.create(user=world.sam.user, sms_enabled=False,
                                          phone="13800000003")
    consultation = consultation_at("accepted")
    run_ready_jobs()
    [sms] = SmsMessage.objects.all()
    assert sms.phone_last4 == "0002"
    assert sms.body.startswith("【沈阳云医院】会诊已接受")
    assert sms.body.endswith(f"http://127.0.0.1:8000/consultations/{consultation.pk}/")


def test_the_notification_centre_shows_the_unread_count_and_links(client, world,
                                                                  consultation_at):
    consultation = consultation_at("requested")
    run_ready_jobs()
    client.force_login(world.sam.user)
    page = client.get("/consultations/").content.decode()
    assert 'id="notif-badge">1<' in page
    link = f'<a href="/consultations/{consultation.pk}/" class="fw-semibold">新的会诊申请</a>'
    assert link in page
    client.force_login(world.tom.user)
    page = client.get("/consultations/").content.decode()
    assert 'id="notif-badge" hidden>0<' in page and "新的会诊申请" not in page


def test_preferences_need_a_valid_mobile_number_for_sms(client, world):
    client.force_login(world.alice.user)
    page = client.post("/followups/preferences/", {"sms_enabled": "on", "phone": "12345"})
    assert page.status_code == 200 and "11位" in page.content.decode()
    page = client.post("/followups/preferences/", {"sms_enabled": "on", "phone": ""})
    assert "需要手机号" in page.content.decode()
    done = client.post("/followups/preferences/", {"sms_enabled": "on",
                                                   "phone": "138 0000 0002"}, follow=True)
    assert "短信通知已开启" in done.content.decode()
    pref = NotificationPreference.objects.get(user=world.alice.user)
    assert pref.sms_enabled and pref.phone == "13800000002"
    client.post("/followups/preferences/", {"phone": "13800000002"})
    pref.refresh_from_db()
    assert not pref.sms_enabled


def test_preferences_need_a_login(client):
    assert client.get("/followups/preferences/").status_code == 302
