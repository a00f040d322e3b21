"""The specialist reads an attached study in the viewer, in a real browser (headless Debian
Chromium via Playwright): decoded overlays, Chinese presets, stack scroll by key and wheel,
window/level by drag, a length measured on a phantom of known size, and the phone layout
driven by touch events.

The study arrives by STOW-RS from dicomweb-client and is attached through the JSON API,
as a centre's software would do it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import requests
from dicomweb_client.api import DICOMwebClient

from tests.imaging.dicomfiles import series

pytestmark = pytest.mark.live

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ROW_SPACING, COL_SPACING = 0.8, 0.6     # mm; anisotropic so a swapped axis shows
SQUARE = (39, 89)                       # columns/rows [39, 89): 50 px = 30 mm across


def phantom(n=6, **kw):
    """A CT series with a bright square of known size in each slice."""
    pixels = np.full((128, 128), 24, dtype=np.int16)          # -1000 HU air
    pixels[SQUARE[0]:SQUARE[1], SQUARE[0]:SQUARE[1]] = 1064   # +40 HU soft tissue
    slices = series(n, rows=128, columns=128, pixels=pixels, window=(40, 400), **kw)
    for i, ds in enumerate(slices):
        ds.PixelSpacing = [ROW_SPACING, COL_SPACING]
        ds.SliceThickness = 2.5
        ds.SliceLocation = -100.0 + 2.5 * i
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [-38.4, -51.2, -100.0 + 2.5 * i]
        ds.PatientName = "SUN^JIANHUA"
        ds.PatientSex = "O"
        ds.StudyTime = "0727"
    return slices


def login(browser, url, username, password, **context):
    page = browser.new_context(**context).new_page()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    return page


def store_and_attach(platform, slices):
    url = platform.url
    auth = {"Authorization": f"Bearer {platform.token('clinic_doctor')}"}
    client = DICOMwebClient(url=f"{url}/dicomweb", headers=auth)
    client.store_instances(slices)
    consultation = next(c for c in requests.get(f"{url}/api/v1/consultations", headers=auth,
                                                timeout=30).json()
                        if c["status"] == "scheduled")
    body = {"study_instance_uid": slices[0].StudyInstanceUID,
            "confirm_mismatch": True, "mismatch_reason": "phantom study for the viewer test"}
    attach = requests.post(f"{url}/api/v1/consultations/{consultation['id']}/studies",
                           json=body, headers=auth, timeout=30)
    assert attach.status_code == 201, attach.text
    return consultation["id"]


def ready(page, slice_no=None):
    page.wait_for_selector(".cv-port[data-ready='1']", timeout=20_000)
    if slice_no is not None:
        page.wait_for_selector(f".cv-port[data-slice='{slice_no}']", timeout=10_000)
    page.wait_for_function("() => { const i = document.querySelector('.cv-port .cv-img');"
                           " return i.complete && i.naturalWidth > 0; }", timeout=15_000)


def measure(page, tool, points):
    """Click-drag a measurement through image-pixel ``points`` (screen from the viewer)."""
    page.click(f"button[data-tool={tool}]")
    box = page.locator(".cv-port").first.bounding_box()
    screen = [page.evaluate("([x, y]) => window.cloudViewer.imageToScreen(x, y)", list(p))
              for p in points]
    at = [(box["x"] + s[0], box["y"] + s[1]) for s in screen]
    page.mouse.move(*at[0])
    page.mouse.down()
    page.mouse.move(*at[1], steps=4)
    page.mouse.up()
    if len(at) == 3:
        page.mouse.move(*at[1])
        page.mouse.down()
        page.mouse.move(*at[2], steps=4)
        page.mouse.up()
    return page.evaluate("window.cloudViewer.lastMeasure")


def test_specialist_reads_and_measures_the_attached_study(platform_server, browser):
    url = platform_server.url
    slices = phantom(6, patient_id="BROWSER-1")
    consultation = store_and_attach(platform_server, slices)

    page = login(browser, url, "specialist", platform_server.password,
                 viewport={"width": 1280, "height": 860})
    page.goto(f"{url}/consultations/{consultation}/")
    page.click(f"#imaging a[href*='{slices[0].StudyInstanceUID}']")
    ready(page, 4)
    head = page.inner_text(".viewer-head")
    assert "SUN JIANHUA" in head and "^" not in head and "其他" in head
    assert "07:27" in head
    overlay = page.inner_text(".cv-port .cv-tr")
    assert "4/6" in overlay and "2.5 mm" in overlay and "-92.5 mm" in overlay
    assert page.inner_text(".cv-port .cv-m-right") == "L"
    assert page.inner_text(".cv-port .cv-m-bottom") == "P"
    assert [page.inner_text(f"button[data-preset={k}]") for k in
            ("lung", "mediastinum", "bone", "brain", "soft_tissue")] == \
        ["肺窗", "纵隔窗", "骨窗", "脑窗", "软组织窗"]

    page.locator(".cv-port").first.press("ArrowDown")
    ready(page, 5)
    page.locator(".cv-port").first.hover()
    page.mouse.wheel(0, 120)
    ready(page, 6)
    assert slices[5].SOPInstanceUID in page.get_attribute(".cv-port .cv-img", "src")
    page.click("button[data-preset=lung]")
    page.wait_for_selector(".cv-port[data-window='-600,1500']")
    assert "preset=lung" in page.get_attribute(".cv-port .cv-img", "src")
    page.wait_for_selector(".cv[data-loaded='6/6']", timeout=20_000)

    length = measure(page, "length", [(SQUARE[0], 64), (SQUARE[1], 64)])
    expected = (SQUARE[1] - SQUARE[0]) * COL_SPACING
    assert length["unit"] == "mm"
    assert abs(length["value"] - expected) / expected < 0.01, length
    vertical = measure(page, "length", [(64, SQUARE[0]), (64, SQUARE[1])])
    expected = (SQUARE[1] - SQUARE[0]) * ROW_SPACING
    assert abs(vertical["value"] - expected) / expected < 0.01, vertical
    angle = measure(page, "angle", [(SQUARE[1], SQUARE[0]), (SQUARE[0], SQUARE[0]),
                                    (SQUARE[0], SQUARE[1])])
    assert abs(angle["value"] - 90) < 1.5, angle
    assert "mm" in page.locator(".cv-port .cv-svg").text_content()

    page.click("button[data-tool=wl]")
    box = page.locator(".cv-port").first.bounding_box()
    page.mouse.move(box["x"] + 300, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 340, box["y"] + 310, steps=3)
    page.mouse.up()
    page.wait_for_selector(".cv-port[data-window='-580,1660']")
    assert "window=-580,1660" in page.get_attribute(".cv-port .cv-img", "src")
    # cine runs through the stack until stopped
    page.click("button[data-action=cine]")
    page.wait_for_function("() => document.querySelector('.cv-port').dataset.slice !== '6'")
    page.click("button[data-action=cine]")
    assert page.get_attribute("button[data-action=cine]", "aria-pressed") == "false"
    # two viewports side by side, the second one its own stack
    page.click("button[data-action=layout]")
    assert page.locator(".cv-port").count() == 2
    page.wait_for_selector(".cv-port[data-port='1'][data-ready='1']")
    page.locator(".cv-port[data-port='0']").click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "viewer-desktop.png"))
    page.click("button[data-action=layout]")
    assert page.locator(".cv-port").count() == 1

    other = login(browser, url, "endo_specialist", platform_server.password)
    response = other.goto(f"{url}/imaging/studies/{slices[0].StudyInstanceUID}/")
    assert response.status == 404


def touch(page, kind, points):
    """Dispatch a TouchEvent with ``points`` (page coordinates) on the first viewport."""
    page.evaluate("""([kind, points]) => {
      const box = document.querySelector('.cv-port');
      const touches = points.map((p, i) => new Touch({identifier: i, target: box,
        clientX: p[0], clientY: p[1]}));
      box.dispatchEvent(new TouchEvent(kind, {touches: kind === 'touchend' ? [] : touches,
        changedTouches: touches, bubbles: true, cancelable: true}));
    }""", [kind, points])


def test_the_viewer_works_on_a_phone_with_touch(platform_server, browser):
    url = platform_server.url
    slices = phantom(8, patient_id="PHONE-1")
    consultation = store_and_attach(platform_server, slices)
    page = login(browser, url, "specialist", platform_server.password,
                 viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page.goto(f"{url}/imaging/studies/{slices[0].StudyInstanceUID}/?consultation={consultation}")
    ready(page, 5)
    box = page.locator(".cv-port").first.bounding_box()
    assert box["width"] <= 390
    wide = page.evaluate("""() => [...document.querySelectorAll('.cv *')]
      .filter(e => e.getBoundingClientRect().right > 391 && !e.closest('.cv-port'))
      .map(e => e.className || e.tagName)""")
    assert not wide, wide
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    # one finger down the image: later slices
    touch(page, "touchstart", [[cx, cy - 100]])
    for step in range(1, 6):
        touch(page, "touchmove", [[cx, cy - 100 + step * 40]])
    touch(page, "touchend", [[cx, cy + 100]])
    slice_now = int(page.get_attribute(".cv-port", "data-slice"))
    assert slice_now > 5

    # two fingers apart: zoom in; both moved right: pan
    zoom0 = page.evaluate("window.cloudViewer.getView().zoom")
    touch(page, "touchstart", [[cx - 40, cy], [cx + 40, cy]])
    touch(page, "touchmove", [[cx - 80, cy], [cx + 80, cy]])
    touch(page, "touchmove", [[cx - 60, cy], [cx + 100, cy]])
    touch(page, "touchend", [])
    view = page.evaluate("window.cloudViewer.getView()")
    assert view["zoom"] > zoom0 * 1.5
    assert view["cx"] < 0.5          # the image moved right: the centre looks further left
    assert view["slice"] + 1 == slice_now
    page.wait_for_function("() => { const i = document.querySelector('.cv-port .cv-img');"
                           " return i.complete && i.naturalWidth > 0; }")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "viewer-phone.png"))


def test_a_study_of_another_patient_is_refused_then_attached_with_a_reason(platform_server,
                                                                          browser):
    url = platform_server.url
    slices = phantom(2, patient_id="ZHOU-0042")
    for ds in slices:
        ds.PatientName = "ZHOU^LI"
    auth = {"Authorization": f"Bearer {platform_server.token('clinic_doctor')}"}
    DICOMwebClient(url=f"{url}/dicomweb", headers=auth).store_instances(slices)
    consultation = next(c for c in requests.get(f"{url}/api/v1/consultations", headers=auth,
                                                timeout=30).json()
                        if c["status"] == "scheduled")
    page = login(browser, url, "clinic_doctor", platform_server.password,
                 viewport={"width": 1100, "height": 800})
    page.goto(f"{url}/imaging/")
    row = page.locator("tr", has_text="ZHOU LI")
    row.locator("select[name=consultation]").select_option(consultation["id"])
    row.locator("form[action$='/attach/'] button[type=submit]").click()
    page.wait_for_selector("#patient-mismatch")
    assert page.inner_text("#theirs-name") == "ZHOU LI"
    assert page.inner_text("#mine-name") not in ("", "ZHOU LI")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "patient-mismatch.png"))
    page.fill("#mismatch-reason", "CT console name typo, checked the ID card in person")
    page.click("#patient-mismatch button[type=submit]")
    page.wait_for_selector("#imaging .identity-mismatch")
    assert "checked the ID card" in page.inner_text("#imaging .identity-mismatch")
    trail = platform_server.manage(
        "shell", "-c", "from cloudhospital.security.models import AuditEntry as A; "
        "e = A.objects.filter(action='imaging.attach.mismatch_confirmed').latest('at'); "
        "print(e.detail['reason'], e.object_id)").stdout
    assert "CT console name typo, checked the ID card in person" in trail
    assert slices[0].StudyInstanceUID in trail
