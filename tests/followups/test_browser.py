"""make run in a browser: the demo patient books, gets an in-app reminder from the task
worker, checks in, shows up live in the doctor's queue and is called into the room.

Headless Debian Chromium driven by Playwright against the live platform (daphne +
db_worker), on SQLite or on PostgreSQL + Redis in CI.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.live

def _login(browser, url, username, password):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    return page


def test_demo_patient_books_is_reminded_checks_in_and_is_called(platform_server, browser):
    # Slots that start soon, from "now" (the platform may have started a while ago).
    platform_server.manage("seed_demo")
    url, password = platform_server.url, platform_server.password
    doctor = _login(browser, url, "clinic_doctor", password)
    doctor.goto(url + "/followups/desk/")
    doctor.wait_for_selector("body[data-live=open]", state="attached")

    patient = _login(browser, url, "patient", password)
    patient.goto(url + "/me/")
    patient.click("#followups-link")
    patient.wait_for_selector("body[data-live=open]", state="attached")
    patient.locator("button.book").first.click()
    patient.wait_for_load_state()
    appointment = patient.locator(".appointment[data-status=booked]")
    assert appointment.count() == 1

    # The worker sends the reminder (the slot is under an hour away, so it is due now).
    patient.wait_for_selector("#notification-list li[data-kind=reminder]", timeout=45000)

    patient.locator("button.check-in").click()
    patient.wait_for_load_state()
    patient.wait_for_selector("body[data-live=open]", state="attached")
    assert patient.locator(".appointment[data-status=checked_in] .position").inner_text() == "1"
    visit_id = patient.locator(".appointment").get_attribute("data-visit")

    # Live on the doctor's page, without a reload.
    doctor.wait_for_selector(f"#queue tr[data-visit='{visit_id}']", timeout=30000)
    doctor.click("#call-next")
    doctor.wait_for_selector(f".card[data-visit='{visit_id}'] a[href='/visits/{visit_id}/room/']",
                             timeout=30000)

    # Live on the patient's page: the call and the way into the room.
    link = patient.locator(".appointment .called a")
    link.wait_for(state="visible", timeout=30000)
    assert re.fullmatch(rf"/visits/{visit_id}/room/", link.get_attribute("href"))
