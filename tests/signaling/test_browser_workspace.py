"""Two browsers in one consultation room: the workspace beside the video and follow mode.

The specialist and the clinic doctor each open the room (two Playwright contexts, fake
camera). The room shows a readable title and the consultation's panel with its study in
the viewer. What the specialist shows (slice, window) the clinic side then shows, and the
other way round; leaving stops every camera and microphone track.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from dicomweb_client.api import DICOMwebClient

from tests.imaging.test_browser_viewer import phantom
from tests.signaling.live import scheduled_consultation
from tests.signaling.test_browser_room import ARGS, CHROMIUM

pytestmark = pytest.mark.live
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def chromium():
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed at /usr/bin/chromium (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def enter(browser, platform, username, consultation, **context):
    page = browser.new_context(**context).new_page()
    page.goto(platform.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", platform.password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{platform.url}/consultations/{consultation}/room/")
    page.wait_for_selector("#room[data-state=joined]", timeout=30_000)
    page.wait_for_selector("#workspace[aria-busy='false']", state="attached", timeout=30_000)
    return page


def channel_open(page):
    page.wait_for_function(
        "() => Object.values(window.cloudRoom.peers).some(p => p.channel &&"
        " p.channel.readyState === 'open')", timeout=60_000)


def test_the_clinic_side_follows_what_the_specialist_shows_and_back(platform_server, chromium):
    consultation = scheduled_consultation(platform_server)
    slices = phantom(9, patient_id="ROOM-1")
    auth = {"Authorization": f"Bearer {platform_server.token('clinic_doctor')}"}
    DICOMwebClient(url=f"{platform_server.url}/dicomweb", headers=auth).store_instances(slices)
    attached = requests.post(
        f"{platform_server.url}/api/v1/consultations/{consultation}/studies",
        json={"study_instance_uid": slices[0].StudyInstanceUID, "confirm_mismatch": True,
              "mismatch_reason": "phantom for the follow test"}, headers=auth, timeout=30)
    assert attached.status_code == 201, attached.text

    specialist = enter(chromium, platform_server, "specialist", consultation,
                       viewport={"width": 1400, "height": 900})
    clinic = enter(chromium, platform_server, "clinic_doctor", consultation,
                   viewport={"width": 1400, "height": 900})
    title = specialist.inner_text(".room-head h1")
    assert "consultation:" not in title and "ID …" in title
    assert "→" in specialist.inner_text(".room-head")
    assert specialist.is_visible("#btn-share")
    for page in (specialist, clinic):
        page.wait_for_selector("#workspace .cv-port[data-ready='1']", timeout=30_000)
        channel_open(page)
    specialist.wait_for_function(
        "() => document.getElementById('call-timer').textContent !== '00:00'", timeout=30_000)

    # The specialist scrolls to slice 8 and sets the lung window.
    port = specialist.locator("#workspace .cv-port").first
    port.click()
    for _ in range(3):
        port.press("ArrowDown")
    specialist.wait_for_selector("#workspace .cv-port[data-slice='8']")
    specialist.click("#workspace button[data-preset=lung]")
    clinic.wait_for_selector("#workspace .cv-port[data-slice='8'][data-window='-600,1500']",
                             timeout=30_000)
    assert "preset=lung" in clinic.get_attribute("#workspace .cv-port .cv-img", "src")
    assert slices[7].SOPInstanceUID in clinic.get_attribute("#workspace .cv-port .cv-img", "src")

    # The clinic doctor takes the lead: slice 2 with the bone window.
    clinic_port = clinic.locator("#workspace .cv-port").first
    clinic_port.click()
    clinic_port.press("Home")
    clinic_port.press("ArrowDown")
    clinic.click("#workspace button[data-preset=bone]")
    specialist.wait_for_selector("#workspace .cv-port[data-slice='2'][data-window='400,1800']",
                                 timeout=30_000)

    # Unticked 跟随: the specialist's view stays where it is.
    specialist.uncheck("#ws-follow")
    clinic_port.press("End")
    clinic.wait_for_selector("#workspace .cv-port[data-slice='9']")
    clinic.click("#workspace button[data-preset=brain]")
    clinic.wait_for_selector("#workspace .cv-port[data-window='40,80']")
    # then "请对方跟随我" ticks it again and brings the specialist along
    clinic.click("#ws-lead")
    specialist.wait_for_selector("#workspace .cv-port[data-slice='9'][data-window='40,80']",
                                 timeout=30_000)
    assert specialist.is_checked("#ws-follow")

    # Foreign or malformed workspace messages change nothing.
    before = specialist.evaluate("window.cloudViewer.getView()")
    specialist.evaluate("""() => { const s = window.cloudViewer.getView().series;
      [{app: 'viewer', view: {series: 'not-a-series', slice: 3}}, {app: 'viewer', view: null},
       {app: 'viewer', view: {series: s, slice: 'x', zoom: 1e309}},
       {app: 'viewer', view: {series: s, slice: -1}}, {app: 'other', view: {series: s, slice: 0}}]
      .forEach(d => document.dispatchEvent(new CustomEvent('room:data',
        {detail: {from: 'x', name: 'x', data: d}}))); }""")
    assert specialist.evaluate("window.cloudViewer.getView()") == before
    sent = clinic.evaluate("window.cloudRoom.broadcast({app: 'viewer', junk: 'x'.repeat(20000)})")
    assert sent == 0  # over the 16 KiB limit: not sent

    specialist.wait_for_function("() => { const i = document.querySelector('#workspace .cv-img');"
                                 " return i.complete && i.naturalWidth > 0; }")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    specialist.screenshot(path=str(SCREENSHOTS / "workspace-desktop.png"))

    # Leaving stops every track: the camera light goes off.
    specialist.evaluate("window.__tracks = window.cloudRoom.local.getTracks()")
    assert specialist.evaluate("window.__tracks.length") == 2
    specialist.click("#btn-leave")
    assert specialist.get_attribute("#room", "data-state") == "left"
    assert specialist.evaluate("window.__tracks.every(t => t.readyState === 'ended')")


def test_on_a_phone_the_self_view_is_small_and_sharing_is_not_offered(
        platform_server, chromium):
    consultation = scheduled_consultation(platform_server)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                   is_mobile=True)
    context.add_init_script("delete MediaDevices.prototype.getDisplayMedia;")
    page = context.new_page()
    page.goto(platform_server.url + "/accounts/login/")
    page.fill("#id_username", "clinic_doctor")
    page.fill("#id_password", platform_server.password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{platform_server.url}/consultations/{consultation}/room/")
    page.wait_for_selector("#room[data-state=joined]", timeout=30_000)
    assert not page.is_visible("#btn-share")
    other = enter(chromium, platform_server, "specialist", consultation)
    page.wait_for_selector(".tile.remote", timeout=30_000)
    local = page.locator("#local-tile").bounding_box()
    remote = page.locator(".tile.remote").bounding_box()
    assert local["width"] < remote["width"] / 2
    page.wait_for_selector("#workspace", state="attached")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "workspace-phone.png"), full_page=True)
    other.click("#btn-leave")
