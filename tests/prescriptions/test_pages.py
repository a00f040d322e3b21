"""The prescription pages: the doctor prescribes from a visit or a renewal request with
refusals explained inline, the pharmacist's queue, the patient's medicines. Chinese by
default; no inline script or style (a strict CSP is coming)."""

from __future__ import annotations

import re

from clinics.prescriptions import actions
from clinics.prescriptions.models import Prescription, RxStatus
from tests.prescriptions.conftest import approved, draft, item


def _form(rx, code="AMLO5", days="28", **extra):
    data = {"drug_code_1": code, "dose_1": "5", "unit_1": "", "frequency_1": "qd",
            "route_1": "po", "days_1": days, "quantity_1": days, "note": "血压平稳"}
    data.update(extra)
    return data


def test_the_doctor_prescribes_from_the_visit_and_signs(client, world, rx):
    client.force_login(world.alice.user)
    home = client.get("/prescriptions/").content.decode()
    assert f"/prescriptions/new/?visit={rx.visit.pk}" in home
    assert client.get(f"/prescriptions/new/?visit={rx.visit.pk}").status_code == 200
    response = client.post(f"/prescriptions/new/?visit={rx.visit.pk}", _form(rx))
    written = Prescription.objects.get()
    assert response.status_code == 302 and response.url == f"/prescriptions/{written.pk}/"
    assert written.note == "血压平稳" and written.items.get().unit == "mg"
    client.post(f"/prescriptions/{written.pk}/do/sign/")
    assert Prescription.objects.get().status == RxStatus.SIGNED


def test_a_refusal_is_explained_inline_with_its_rule(client, world, rx):
    client.force_login(world.alice.user)
    response = client.post(f"/prescriptions/new/?visit={rx.visit.pk}", _form(rx, "DIAZ25"))
    html = response.content.decode()
    assert response.status_code == 422
    assert 'data-code="restricted_drug"' in html and "互联网诊疗管理办法" in html
    assert 'value="DIAZ25"' in html  # what the doctor typed is kept
    too_long = client.post(f"/prescriptions/new/?visit={rx.visit.pk}", _form(rx, days="60"))
    assert 'data-code="too_long"' in too_long.content.decode()
    assert not Prescription.objects.exists()


def test_hostile_form_input_is_refused_not_a_500(client, world, rx):
    client.force_login(world.alice.user)
    for bad in (_form(rx, days="-5"), _form(rx, days="9" * 30), _form(rx, dose_1="abc"),
                _form(rx, "NOPE")):
        response = client.post(f"/prescriptions/new/?visit={rx.visit.pk}", bad)
        assert response.status_code == 422
    # A NUL byte in any form field is refused by the platform (400 page) before the view.
    for bad in (_form(rx, "AM\x00LO5"), _form(rx, note="x\x00y")):
        response = client.post(f"/prescriptions/new/?visit={rx.visit.pk}", bad)
        assert response.status_code == 400
    for url in ("/prescriptions/new/?visit=abc",
                "/prescriptions/new/", "/prescriptions/00000000-0000-0000-0000-000000000000/"):
        assert client.get(url).status_code == 404
    # A query number beyond a database bigint is refused by the platform (400 page).
    assert client.get("/prescriptions/new/?visit=99999999999999999999").status_code == 400
    assert client.get("/prescriptions/new/?renewal=%00").status_code == 400  # the platform's
    for url in ("/prescriptions/renewals/99999999999999999999/decline/",
                "/prescriptions/renewals/12/decline/",
                "/prescriptions/00000000-0000-0000-0000-000000000000/do/sign/"):
        assert client.post(url, {"reason": "x\x00"}).status_code == 400  # NUL: the platform's
        assert client.post(url, {"reason": "x"}).status_code == 404
    assert not Prescription.objects.exists()


def test_the_doctor_answers_a_renewal_request_from_her_page(client, world, rx):
    first = approved(world, rx)
    req = actions.request_renewal(world.pat.user, first, note="药快吃完了")
    client.force_login(world.alice.user)
    home = client.get("/prescriptions/").content.decode()
    assert f"/prescriptions/new/?renewal={req.pk}" in home and "药快吃完了" in home
    client.post(f"/prescriptions/new/?renewal={req.pk}", _form(rx))
    assert Prescription.objects.filter(renewal_request=req).exists()


def test_the_follow_up_desk_links_to_prescribing(client, world, rx):
    client.force_login(world.alice.user)
    desk = client.get("/followups/desk/").content.decode()
    assert 'href="/prescriptions/"' in desk
    assert f'href="/prescriptions/new/?visit={rx.visit.pk}"' in desk


def test_the_pharmacist_queue_is_urgent_first_then_oldest(client, world, rx):
    first = actions.sign(world.alice.user, actions.create_prescription(
        world.alice.user, draft(world, rx)))
    second = actions.sign(world.alice.user, actions.create_prescription(
        world.alice.user, draft(world, rx)))
    urgent = actions.sign(world.alice.user, actions.create_prescription(
        world.alice.user, draft(world, rx, urgent=True)))
    client.force_login(rx.phil.user)
    html = client.get("/prescriptions/").content.decode()
    order = re.findall(r'<tr data-rx="([0-9a-f-]+)">', html)
    assert order == [str(urgent.pk), str(first.pk), str(second.pk)]
    client.post(f"/prescriptions/{first.pk}/do/reject/", {"reason": "重复用药"})
    client.post(f"/prescriptions/{second.pk}/do/approve/", {"reason": ""})
    assert Prescription.objects.get(pk=first.pk).status == RxStatus.REJECTED
    assert Prescription.objects.get(pk=second.pk).status == RxStatus.APPROVED
    client.force_login(rx.pia.user)  # another institution's pharmacist
    assert str(urgent.pk) not in client.get("/prescriptions/").content.decode()
    assert client.get(f"/prescriptions/{urgent.pk}/").status_code == 404
    client.post(f"/prescriptions/{urgent.pk}/do/approve/")
    assert Prescription.objects.get(pk=urgent.pk).status == RxStatus.SIGNED


def test_the_patient_sees_his_medicines_with_days_left_and_requests_renewal(client, world, rx):
    done = approved(world, rx, item(rx.drugs["AMLO5"]))
    client.force_login(world.pat.user)
    html = client.get("/prescriptions/").content.decode()
    assert "氨氯地平片" in html and 'class="days-left">28<' in html
    client.post(f"/prescriptions/{done.pk}/do/renew/", {"note": "请续方"})
    assert done.renewal_requests.get().note == "请续方"
    newer = approved(world, rx)  # the renewal: the list shows only the current one
    html = client.get("/prescriptions/").content.decode()
    assert f'data-rx="{newer.pk}"' in html and f'data-rx="{done.pk}"' not in html
    client.force_login(world.quinn.user)
    assert "氨氯地平片" not in client.get("/prescriptions/").content.decode()
    assert client.get(f"/prescriptions/{done.pk}/").status_code == 404


def test_pages_speak_chinese_by_default_and_carry_no_inline_script_or_style(client, world, rx):
    from django.core.management import call_command
    from django.utils.translation import trans_real

    call_command("compilemessages_py", verbosity=0)
    trans_real._translations.clear()
    done = approved(world, rx)
    client.force_login(world.alice.user)
    pages = [client.get(f"/prescriptions/new/?visit={rx.visit.pk}").content.decode(),
             client.get(f"/prescriptions/{done.pk}/").content.decode(),
             client.get("/prescriptions/").content.decode()]
    assert "开具处方" in pages[0] and "续方申请" in pages[2]
    for html in pages:
        assert "style=" not in html
        own = html.split("<main", 1)[1]
        assert not re.search(r"<script(?![^>]*\bsrc=)", own)
    client.cookies["django_language"] = "en"
    assert "Prescribe" in client.get(f"/prescriptions/new/?visit={rx.visit.pk}").content.decode()
