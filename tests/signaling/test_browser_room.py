"""Headless Chromium in the room page meets a headless aiortc room device."""

from __future__ import annotations

import shutil

import pytest

from tests.signaling.live import finish, scheduled_consultation, start_client

pytestmark = pytest.mark.live

CHROMIUM = "/usr/bin/chromium"
DIAGNOSE = """() => ({log: window.cloudRoom.log, me: window.cloudRoom.myId,
  peers: Object.values(window.cloudRoom.peers).map(p => ({id: p.info.peer_id,
    offerer: p.offerer, ice: p.pc.iceConnectionState, signaling: p.pc.signalingState,
    connection: p.pc.connectionState, pending: p.pending.length}))})"""
ARGS = ["--headless", "--no-sandbox", "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream", "--allow-loopback-in-peer-connection",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]


@pytest.fixture
def chromium():
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed at /usr/bin/chromium (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def log_in(browser, platform, username: str):
    context = browser.new_context(locale="en-US")
    # English on request: the language switch's cookie (the platform ignores the browser's).
    context.add_cookies([{"name": "django_language", "value": "en", "url": platform.url}])
    page = context.new_page()
    page.goto(platform.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", platform.password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_the_browser_room_shows_the_video_of_an_aiortc_peer_and_they_talk(
        platform_server, chromium):
    consultation = scheduled_consultation(platform_server)
    page = log_in(chromium, platform_server, "clinic_doctor")
    page.goto(f"{platform_server.url}/consultations/{consultation}/room/")
    page.wait_for_selector("#room[data-state=joined]", timeout=15_000)
    assert "not in the room yet" in page.inner_text("#notice")

    device = start_client(platform_server.url, consultation,
                          platform_server.token("specialist"), "--test-pattern",
                          "--exit-after-frames", "30", "--linger", "6", "--timeout", "120")
    try:
        try:
            page.wait_for_function(
                "() => { const v = document.querySelector('.tile.remote video');"
                " return v && v.videoWidth > 0; }", timeout=90_000)
        except Exception as exc:
            state = page.evaluate(DIAGNOSE)
            device.kill()
            raise AssertionError(f"no remote video: {state}; device: "
                                 f"{device.stderr.read()[-2000:]}") from exc
        assert page.evaluate("document.querySelector('.tile.remote video').videoWidth") == 320
        page.wait_for_function(
            "() => Object.values(window.cloudRoom.peers).some(p => p.messages && "
            "p.messages.some(m => m.startsWith('hello from ')))", timeout=30_000)
        page.wait_for_selector(".tile.remote[data-rtt]:not([data-rtt=''])", timeout=30_000)
        assert "RTT" in page.inner_text(".tile.remote .quality")
        browser_peer = page.evaluate("window.cloudRoom.myId")
    finally:
        code, summary, err = finish(device, timeout=150)
    assert code == 0, (summary, err)
    assert summary["frames"][browser_peer] >= 30, "the device sees the browser's camera"
    assert f"hello from {browser_peer}" in summary["messages"]
    page.wait_for_function("() => Object.keys(window.cloudRoom.peers).length === 0",
                           timeout=30_000)
    notices = page.evaluate("window.cloudRoom.log")
    assert any("left the room" in notice for notice in notices), notices
    page.click("#btn-leave")
    assert page.get_attribute("#room", "data-state") == "left"


def test_a_refused_camera_is_explained_and_the_room_still_opens(platform_server):
    """Without the fake permission UI, headless Chromium refuses getUserMedia."""
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed at /usr/bin/chromium (make system-deps)")
    from playwright.sync_api import sync_playwright

    consultation = scheduled_consultation(platform_server)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[a for a in ARGS if a != "--use-fake-ui-for-media-stream"])
        try:
            page = log_in(browser, platform_server, "specialist")
            page.goto(f"{platform_server.url}/consultations/{consultation}/room/")
            page.wait_for_selector("#room[data-state=joined]", timeout=30_000)
            assert page.get_attribute("#room", "data-media") == "refused"
            notices = page.evaluate("window.cloudRoom.log")
            assert any("permission was refused" in notice for notice in notices), notices
        finally:
            browser.close()
