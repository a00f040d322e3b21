"""The specialist opens an attached study from the consultation page in a real browser:
thumbnails, slice scrolling by key and wheel, presets and manual window/level.

The study arrives by STOW-RS from dicomweb-client and is attached through the JSON API,
as a centre's software would do it. Headless Debian Chromium driven by Playwright.
"""

from __future__ import annotations

import pytest
import requests
from dicomweb_client.api import DICOMwebClient

from tests.imaging.dicomfiles import series

pytestmark = pytest.mark.live

def login(browser, url, username, password):
    page = browser.new_context().new_page()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    return page


def image_loaded(page):
    page.wait_for_function("() => { const i = document.getElementById('image');"
                           " return i.complete && i.naturalWidth > 0; }", timeout=15000)


def test_specialist_reads_the_attached_study_in_the_viewer(platform_server, browser):
    url = platform_server.url
    token = platform_server.token("clinic_doctor")
    auth = {"Authorization": f"Bearer {token}"}
    slices = series(5, patient_id="BROWSER-1", window=(40, 400))
    client = DICOMwebClient(url=f"{url}/dicomweb", headers=auth)
    stored = client.store_instances(slices)
    assert len(stored.ReferencedSOPSequence) == 5
    consultation = next(c for c in requests.get(f"{url}/api/v1/consultations", headers=auth,
                                                timeout=30).json()
                        if c["status"] == "scheduled")
    attach = requests.post(f"{url}/api/v1/consultations/{consultation['id']}/studies",
                           json={"study_instance_uid": slices[0].StudyInstanceUID},
                           headers=auth, timeout=30)
    assert attach.status_code == 201, attach.text

    page = login(browser, url, "specialist", platform_server.password)
    page.goto(f"{url}/consultations/{consultation['id']}/")
    page.click("#imaging a[href*='/imaging/studies/']")
    page.wait_for_load_state()
    assert page.locator(".series img").count() == 1
    page.wait_for_function("() => document.querySelector('.series img').naturalWidth === 128")
    image_loaded(page)
    overlay = page.locator("#overlay")
    assert overlay.inner_text().startswith("3 / 5")
    page.locator("#image-box").press("ArrowDown")
    assert overlay.inner_text().startswith("4 / 5")
    page.locator("#image-box").hover()
    page.mouse.wheel(0, 120)
    page.wait_for_function("() => document.getElementById('overlay').textContent"
                           ".startsWith('5 / 5')")
    assert slices[4].SOPInstanceUID in page.locator("#image").get_attribute("src")
    page.click("button[data-preset=lung]")
    assert "preset=lung" in page.locator("#image").get_attribute("src")
    image_loaded(page)
    page.fill("#wc", "50")
    page.fill("#ww", "350")
    page.click("#apply-wl")
    assert "window=50,350" in page.locator("#image").get_attribute("src")
    image_loaded(page)

    other = login(browser, url, "endo_specialist", platform_server.password)
    response = other.goto(f"{url}/imaging/studies/{slices[0].StudyInstanceUID}/")
    assert response.status == 404
