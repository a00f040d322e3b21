"""A notification arrives live: the specialist's open page gets the badge and the entry
when the clinic doctor sends a request in another browser (no reload)."""

from __future__ import annotations

import pytest

from tests.ui.test_browser_pages import VIEWPORTS, _login

pytestmark = pytest.mark.live


def test_a_sent_request_reaches_the_specialists_open_page_live(platform_server, browser):
    url, password = platform_server.url, platform_server.password
    specialist = _login(browser, url, "endo_specialist", password, VIEWPORTS["phone"])
    specialist.goto(url + "/")
    before = specialist.locator("#notif-list li").count()
    loaded_at = specialist.evaluate("() => performance.timeOrigin")

    doctor = _login(browser, url, "clinic_doctor", password, VIEWPORTS["desktop"])
    doctor.goto(url + "/consultations/?status=draft")
    doctor.locator('td[data-label="患者"] a').first.click()
    doctor.wait_for_load_state()
    doctor.fill("#id_signed_by", "患者本人")
    doctor.fill("#id_signed_at", "2026-01-01T09:00")
    doctor.on("dialog", lambda dialog: dialog.accept())
    doctor.locator("form[action$='/do/consent/'] button[type=submit]").click()
    doctor.wait_for_load_state()
    doctor.locator("form[action$='/do/submit/'] button[type=submit]").click()
    doctor.wait_for_load_state()
    assert "会诊申请已发送给" in doctor.content()

    # The worker delivers it; the socket adds it on top of the list.
    specialist.locator("#notif-list li").nth(before).wait_for(state="attached", timeout=45000)
    assert "新的会诊申请" in specialist.locator("#notif-list li").first.text_content()
    assert specialist.locator("#notif-badge").is_visible()
    assert specialist.evaluate("() => performance.timeOrigin") == loaded_at  # no reload
