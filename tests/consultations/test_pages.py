"""The pages each role uses, login with throttling, and the language switch."""

import pytest
from django.utils.module_loading import import_string

from clinics.consultations.models import Consultation


def test_passwords_are_hashed_with_argon2_in_production_settings():
    import cloudhospital.settings as configured

    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    hasher = import_string(configured.PASSWORD_HASHERS[0])()
    assert hasher.encode("secret", hasher.salt()).startswith("argon2$")


def test_login_redirects_each_role_to_its_home(world, client):
    # Every role lands on its workbench (tests/ui/test_workbench.py).
    for username, home in [("alice", "/"), ("sam", "/"), ("pat", "/")]:
        client.logout()
        response = client.post("/accounts/login/", {"username": username,
                                                    "password": world.password}, follow=True)
        assert response.redirect_chain[-1][0] == home, username
        assert response.status_code == 200


def test_login_is_throttled_after_repeated_failures(world, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"username": "alice",
                                                "password": world.password})
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


def test_pages_speak_chinese_by_default_and_english_on_request(world, client):
    client.force_login(world.alice.user)
    assert "会诊" in client.get("/consultations/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/consultations/"})
    assert "Consultations" in client.get("/consultations/").content.decode()


def test_the_clinic_doctor_requests_with_consent_and_sends(world, client):
    from django.utils import timezone

    client.force_login(world.alice.user)
    response = client.post("/consultations/new/", {
        "patient": world.pat.pk, "invited_institution": world.hospital.pk,
        "specialist": world.sam.pk, "urgency": "urgent", "reason": "BP",
        "clinical_question": "Change?", "record_summary": "HTN"})
    consultation = Consultation.objects.get()
    assert response.url == f"/consultations/{consultation.pk}/"
    client.post(f"/consultations/{consultation.pk}/do/submit/")
    assert Consultation.objects.get().status == "draft"  # no consent yet
    client.post(f"/consultations/{consultation.pk}/do/consent/", {
        "signed_by": "Pat", "relation": "self", "method": "written",
        "signed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    client.post(f"/consultations/{consultation.pk}/do/submit/")
    assert Consultation.objects.get().status == "requested"


def test_the_specialist_works_the_list_and_signs_a_report(world, client, consultation_at):
    consultation = consultation_at("in_progress")
    client.force_login(world.sam.user)
    assert consultation.patient.name in client.get("/consultations/").content.decode()
    client.post(f"/consultations/{consultation.pk}/report/", {
        "findings": "BP high", "opinion": "Adjust", "recommendations": "Review in 2 weeks"})
    client.post(f"/consultations/{consultation.pk}/do/sign/")
    page = client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert "BP high" in page and "✔" in page


def test_the_patient_sees_his_own_page_and_not_others(world, client, consultation_at):
    consultation = consultation_at("requested")
    client.force_login(world.pat.user)
    assert world.pat.name in client.get("/me/").content.decode()
    assert client.get(f"/consultations/{consultation.pk}/").status_code == 200
    client.force_login(world.quinn.user)
    assert client.get(f"/consultations/{consultation.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["oscar", "tom"])
def test_outsiders_cannot_see_or_act_on_the_page(world, client, consultation_at, who):
    consultation = consultation_at("requested")
    client.force_login(getattr(world, who).user)
    assert client.get(f"/consultations/{consultation.pk}/").status_code == 404
    assert client.post(f"/consultations/{consultation.pk}/do/accept/").status_code == 404
    assert Consultation.objects.get(pk=consultation.pk).status == "requested"


def test_an_unknown_step_or_bad_form_changes_nothing(world, client, consultation_at):
    consultation = consultation_at("requested")
    client.force_login(world.sam.user)
    assert client.post(f"/consultations/{consultation.pk}/do/explode/").status_code == 404
    client.post(f"/consultations/{consultation.pk}/do/decline/", {"reason": ""})
    assert Consultation.objects.get(pk=consultation.pk).status == "requested"


def test_pages_need_login(client):
    response = client.get("/consultations/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_opening_a_patient_in_the_admin_is_audited(world, client):
    from cloudhospital.security.models import AuditEntry

    client.force_login(world.admin)
    assert client.get(f"/admin/clinics/patient/{world.pat.pk}/change/").status_code == 200
    entry = AuditEntry.objects.filter(action="patient.admin_read").get()
    assert (entry.actor, entry.patient_id) == (world.admin, world.pat.pk)


def test_an_english_browser_still_gets_chinese_until_english_is_chosen(world, client):
    client.force_login(world.alice.user)
    page = client.get("/consultations/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "会诊" in page.content.decode()


def test_proposed_times_are_shown_in_shanghai_time(world, client):
    import datetime as dt

    from clinics.consultations import actions

    when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).replace(
        hour=1, minute=30, second=0, microsecond=0)  # 09:30 in Shanghai
    consultation = actions.create_request(world.alice.user, actions.RequestDetails(
        patient=world.pat, invited_institution=world.hospital, specialist=world.sam,
        reason="r", clinical_question="q", record_summary="s", proposed_times=[when]))
    client.force_login(world.alice.user)
    client.post("/i18n/setlang/", {"language": "en"})
    page = client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert "9:30 a.m." in page and "+00:00" not in page
