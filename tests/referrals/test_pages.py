"""The referral pages each role uses: the clinic doctor refers and records consent, the
specialist accepts from a worklist with the green channel on top, the patient sees when,
where and what to bring; outsiders get 404; Chinese by default; CSP-friendly templates."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone

from clinics.referrals.models import Referral

TEMPLATES = Path(__file__).resolve().parents[2] / "clinics" / "referrals" / "templates"


def _local(delta):
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


def test_the_upward_flow_through_the_pages(world, client):
    client.force_login(world.alice.user)
    form = client.get("/referrals/new/").content.decode()
    assert 'name="discharge_summary"' not in form  # a centre refers up only
    response = client.post("/referrals/new/", {
        "patient": world.pat.pk, "to_institution": world.hospital.pk,
        "to_department": world.cardiology.pk, "urgency": "urgent",
        "reason": "Chest pain", "summary": "HTN 10 years", "medication": "amlodipine"})
    referral = Referral.objects.get()
    assert response.url == f"/referrals/{referral.pk}/"
    assert referral.status == "draft" and referral.direction == "up"
    client.post(f"/referrals/{referral.pk}/do/consent/", {
        "signed_by": "Pat", "relation": "self", "method": "written",
        "signed_at": _local(dt.timedelta(minutes=-1))})
    assert Referral.objects.get().status == "requested"

    client.force_login(world.sam.user)
    page = client.get("/referrals/").content.decode()
    assert f'data-referral="{referral.pk}"' in page
    client.post(f"/referrals/{referral.pk}/do/accept/", {
        "appointment_at": _local(dt.timedelta(days=1)), "location": "Clinic 3, 2nd floor"})
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.accepted_by == world.sam

    client.force_login(world.pat.user)
    mine = client.get("/referrals/").content.decode()
    assert "Clinic 3, 2nd floor" in mine and 'class="bring"' in mine
    assert timezone.localtime(referral.appointment_at).strftime("%Y-%m-%d %H:%M") in mine


def test_a_page_refusal_is_shown_and_changes_nothing(world, up_at, client):
    referral = up_at("requested")
    client.force_login(world.sam.user)
    response = client.post(f"/referrals/{referral.pk}/do/accept/", {
        "appointment_at": _local(dt.timedelta(days=-2))}, follow=True)
    assert response.status_code == 200
    assert Referral.objects.get(pk=referral.pk).status == "requested"
    assert re.search(r'class="[^"]*\bmsg error\b', response.content.decode())


def test_the_worklist_shows_the_green_channel_first(world, up_at, client):
    routine = up_at("requested")
    urgent = up_at("requested", urgency="urgent")
    client.force_login(world.carol.user)
    page = client.get("/referrals/").content.decode()
    assert page.index(str(urgent.pk)) < page.index(str(routine.pk))


@pytest.mark.parametrize("who", ["tom", "oscar", "quinn"])
def test_outsiders_get_404_on_the_page_and_the_steps(world, up_at, client, who):
    referral = up_at("requested")
    person = getattr(world, who)
    client.force_login(getattr(person, "user", person))
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    assert client.post(f"/referrals/{referral.pk}/do/decline/",
                       {"reason": "x"}).status_code == 404
    assert Referral.objects.get(pk=referral.pk).status == "requested"


def test_a_hospital_doctor_refers_down_through_the_page(world, up_at, client):
    up_at("completed")
    client.force_login(world.sam.user)
    response = client.post("/referrals/new/", {
        "patient": world.pat.pk, "to_institution": world.centre_a.pk, "urgency": "routine",
        "reason": "Stable", "summary": "Angina, medical therapy",
        "discharge_summary": "Discharged stable", "diagnosis_icd10": "I25.1",
        "diagnosis_name": "Chronic IHD", "followup_condition": "I25",
        "followup_interval_days": 30, "followup_targets": "BP < 130/80"})
    down = Referral.objects.get(direction="down")
    assert response.url == f"/referrals/{down.pk}/"
    assert down.followup_condition == "I25" and down.diagnoses[0]["icd10"] == "I25.1"


def test_pages_speak_chinese_by_default(world, up_at, client):
    from django.core.management import call_command
    from django.utils.translation import trans_real

    call_command("compilemessages_py", verbosity=0)  # what `make test` and `make run` do
    trans_real._translations.clear()
    referral = up_at("accepted", urgency="urgent")
    client.force_login(world.pat.user)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "转诊" in page and "请携带" in page and "身份证" in page
    client.cookies["django_language"] = "en"
    assert "Please bring" in client.get(f"/referrals/{referral.pk}/").content.decode()


def test_templates_have_no_inline_script_or_style_for_a_strict_csp():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert "<script" not in text and "style=" not in text, template
        assert not re.search(r"\son[a-z]+=", text), template


def test_hostile_page_input_is_refused_without_a_500(world, up_at, client):
    client.force_login(world.alice.user)
    fields = {"patient": world.pat.pk, "to_institution": world.hospital.pk,
              "to_department": world.cardiology.pk, "urgency": "urgent",
              "reason": "chest pain", "summary": "x" * 20001}
    response = client.post("/referrals/new/", fields)
    assert response.status_code == 200 and not Referral.objects.exists()
    # A NUL byte in any form field is refused by the platform (400 page) before the view.
    response = client.post("/referrals/new/", {**fields, "reason": "chest\x00pain",
                                               "summary": "x"})
    assert response.status_code == 400 and not Referral.objects.exists()
    assert client.post("/referrals/new/", {"patient": "1 OR 1=1"}).status_code == 200
    referral = up_at("draft")
    assert client.post(f"/referrals/{referral.pk}/do/explode/").status_code == 404
    assert client.get("/referrals/not-a-uuid/").status_code == 404
    response = client.post(f"/referrals/{referral.pk}/do/consent/", {
        "signed_by": "P\x00", "relation": "self", "method": "written",
        "signed_at": "yesterday"})
    assert response.status_code == 400
    assert Referral.objects.get(pk=referral.pk).status == "draft"
    response = client.post(f"/referrals/{referral.pk}/do/consent/", {
        "signed_by": "Pat", "relation": "self", "method": "written",
        "signed_at": "yesterday"})
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).status == "draft"
    assert client.get(f"/referrals/{referral.pk}/do/cancel/").status_code == 405
