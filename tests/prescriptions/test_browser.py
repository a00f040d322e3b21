"""make run in a browser: the demo doctor answers the demo patient's renewal request
(catalogue search, sign), the pharmacist approves it from her queue, and the patient sees
it among his medicines and downloads the PDF 处方笺.

Headless Debian Chromium driven by Playwright against the live platform.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.live


def _login(browser, url, username, password):
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    return page


def test_doctor_prescribes_pharmacist_approves_patient_downloads_the_pdf(platform_server,
                                                                       browser):
    url, password = platform_server.url, platform_server.password
    errors = []

    doctor = _login(browser, url, "clinic_doctor", password)
    doctor.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    doctor.goto(url + "/followups/desk/")
    doctor.click("#prescriptions-link")
    doctor.locator("#renewal-requests a.prescribe").first.click()
    doctor.wait_for_load_state()
    doctor.fill("#drug-search", "氨氯地平")
    doctor.locator("#drug-results button.add-drug").first.click()
    assert doctor.locator("input[name=drug_code_1]").input_value() == "AML5"
    assert doctor.locator("input[name=unit_1]").input_value() == "mg"
    doctor.fill("input[name=dose_1]", "5")
    doctor.fill("input[name=days_1]", "28")
    doctor.fill("input[name=quantity_1]", "28")
    doctor.click("#save-draft")
    doctor.wait_for_selector("#prescription[data-status=draft]")
    rx_id = doctor.locator("#prescription").get_attribute("data-rx")
    doctor.click("#sign")
    doctor.wait_for_selector("#prescription[data-status=signed]")
    assert doctor.locator(".signature").get_attribute("data-valid") == "true"

    pharmacist = _login(browser, url, "pharmacist", password)
    pharmacist.goto(url + "/prescriptions/")
    pharmacist.locator(f"#review-queue tr[data-rx='{rx_id}'] a.review").click()
    pharmacist.wait_for_load_state()
    pharmacist.click("#approve")
    pharmacist.wait_for_selector("#prescription[data-status=approved]")

    patient = _login(browser, url, "patient", password)
    patient.goto(url + "/prescriptions/")
    card = patient.locator(f".medication[data-rx='{rx_id}']")
    assert card.locator(".days-left").inner_text() == "28"
    assert "氨氯地平片" in card.inner_text()
    with patient.expect_download() as download_info:
        card.locator("a.pdf").click()
    body = open(download_info.value.path(), "rb").read()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert "孙建华" in text and "氨氯地平片" in text and "刘芳" in text and "杨静" in text
    assert "/prescriptions/verify/" in text
    verify_url = next(line for line in text.splitlines() if "/prescriptions/verify/" in line)
    anonymous = browser.new_context().new_page()
    anonymous.goto(verify_url.strip())
    assert anonymous.locator("#verify").get_attribute("data-valid") == "true"
    assert not errors, errors
