"""The upward flow in a real browser against the live platform (daphne + worker): the
clinic doctor refers the demo patient up and records consent, the specialist accepts with
an appointment from the worklist, and the patient's page shows when, where, what to bring.

Headless Debian Chromium driven by Playwright; Chinese pages (the default).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.live
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _login(browser, url, username, password, **context_options):
    context = browser.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    return page


def _local(delta: dt.timedelta) -> str:
    return (dt.datetime.now(SHANGHAI) + delta).strftime("%Y-%m-%dT%H:%M")


def test_clinic_doctor_refers_up_specialist_accepts_patient_sees_the_appointment(
        platform_server, browser, tmp_path):
    url, password = platform_server.url, platform_server.password

    doctor = _login(browser, url, "clinic_doctor", password)
    doctor.goto(url + "/referrals/new/")
    doctor.select_option("#id_patient", label="孙建华")
    doctor.select_option("#id_to_institution", label="沈阳云医院示范中心医院")
    doctor.select_option("#id_to_department", label="沈阳云医院示范中心医院 · 心内科")
    doctor.select_option("#id_urgency", "urgent")
    doctor.fill("#id_reason", "胸痛2小时，疑急性冠脉综合征")
    doctor.fill("#id_summary", "高血压10年，心电图 ST 段改变")
    doctor.click("#referral-form button[type=submit]")
    doctor.wait_for_load_state()
    assert doctor.locator("#status").get_attribute("data-status") == "draft"
    referral_url = doctor.url
    referral_id = referral_url.rstrip("/").rsplit("/", 1)[-1]

    doctor.fill("#consent-form #id_signed_by", "孙建华")
    doctor.select_option("#consent-form #id_relation", "self")
    doctor.fill("#consent-form #id_signed_at", _local(dt.timedelta(minutes=-2)))
    doctor.select_option("#consent-form #id_method", "written")
    doctor.click("#consent-form button[type=submit]")
    doctor.wait_for_load_state()
    assert doctor.locator("#status").get_attribute("data-status") == "requested"

    specialist = _login(browser, url, "specialist", password)
    specialist.goto(url + "/referrals/")
    # The green channel heads the worklist: the new urgent referral is among the first.
    first = specialist.locator("#received li.referral").first
    assert first.get_attribute("data-urgency") == "urgent"
    specialist.click(f"#received li[data-referral='{referral_id}'] a")
    specialist.wait_for_load_state()
    appointment = _local(dt.timedelta(days=1, hours=1))
    specialist.fill("#accept-form #id_appointment_at", appointment)
    specialist.fill("#accept-form #id_location", "门诊楼二层 心内科 3 诊室")
    specialist.click("#accept-form button[type=submit]")
    specialist.wait_for_load_state()
    assert specialist.locator("#status").get_attribute("data-status") == "accepted"

    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
    patient = _login(browser, url, "patient", password, **phone)
    patient.goto(url + "/referrals/")
    mine = patient.locator(f"#mine li[data-referral='{referral_id}']")
    assert mine.get_attribute("data-status") == "accepted"
    assert mine.locator(".when").inner_text() == appointment.replace("T", " ")
    assert "心内科 3 诊室" in mine.locator(".where").inner_text()
    assert "身份证" in mine.locator(".bring").inner_text()
    # Phone-friendly: nothing wider than a phone's screen, and the stylesheet is served.
    assert patient.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert patient.evaluate(
        "getComputedStyle(document.querySelector('ul.referrals')).listStyleType") == "none"
    patient.screenshot(path=str(tmp_path / "patient-referrals.png"), full_page=True)
