"""Each role's main pages in Chromium, on a desktop and on a 390-px phone: no horizontal
scrolling, no English word in the Chinese UI, no serious or critical axe-core violation.
With SCREENSHOT_DIR=docs/screenshots the pages are also photographed (README.zh-CN.md
shows them); a normal run leaves the tree untouched.

axe-core 4.14.1 (MPL-2.0) is vendored under tests/ui/vendor/ (npm pack axe-core); it is
injected with the page's CSP bypassed, which only this test's browser context does."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.live

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
SHOTS = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else None
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PAGES = {
    "clinic_doctor": ["/", "/consultations/", "/consultations/new/", "/followups/desk/",
                      "/imaging/", "/followups/preferences/"],
    "specialist": ["/", "/consultations/", "/imaging/"],
    "patient": ["/", "/me/", "/followups/"],
}
# Words that stay as they are in Chinese medical software.
ALLOWED = {"DICOM", "CT", "MR", "PDF", "ID", "ICD", "SMS", "API", "AE", "SHA", "URL", "QR",
           "OK", "ZIP", "C-STORE", "BP", "mmHg", "mmol", "kg", "min", "English", "UID", "WADO",
           "STOW", "JSON"}


def _login(browser, url, username, password, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    return page


def _english_words(page) -> set[str]:
    text = page.evaluate("() => document.body.innerText")
    words = set(re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text))
    return {w for w in words if w not in ALLOWED and w.upper() not in ALLOWED}


def _overflow(page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _axe_problems(page) -> list[str]:
    page.add_script_tag(content=AXE)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
    }""")
    return list(result)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("role", list(PAGES))
def test_main_pages_fit_speak_chinese_and_pass_axe(platform_server, browser, role, viewport):
    url, password = platform_server.url, platform_server.password
    page = _login(browser, url, role, password, VIEWPORTS[viewport])
    problems = []
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
    for path in PAGES[role]:
        response = page.goto(url + path)
        page.wait_for_load_state()
        assert response is not None and response.status == 200, (role, path)
        if (extra := _overflow(page)) > 1:
            problems.append(f"{path}: {extra}px wider than the screen")
        if words := _english_words(page):
            problems.append(f"{path}: English {sorted(words)[:12]}")
        problems += [f"{path}: axe {v}" for v in _axe_problems(page)]
        if SHOTS is not None:
            name = (path.strip("/").replace("/", "-") or "workbench")
            page.screenshot(path=str(SHOTS / f"{role}-{name}-{viewport}.png"))
    assert problems == []
