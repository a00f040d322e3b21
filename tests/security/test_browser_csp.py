"""The pages work under the strict Content-Security-Policy in a real browser: no violation
is reported on any page, and the page scripts that moved out of the HTML still run."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.live

WATCH = ("window.__csp = [];"
         "document.addEventListener('securitypolicyviolation', e => window.__csp.push("
         "e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + "
         "e.lineNumber));")


def _login(browser, url, username, password):
    context = browser.new_context(locale="en-US")
    context.add_init_script(WATCH)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda msg: page.console_messages.append(msg.text))
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    return page


def _violations(page) -> list[str]:
    reported = page.evaluate("window.__csp")
    logged = [m for m in page.console_messages if "Content Security Policy" in m]
    return reported + logged


def test_no_page_breaks_the_content_security_policy(platform_server, browser):
    url, password = platform_server.url, platform_server.password
    for username, paths in [
        ("clinic_doctor", ["/consultations/", "/consultations/new/", "/imaging/",
                           "/followups/desk/"]),
        ("specialist", ["/consultations/", "/imaging/"]),
        ("patient", ["/me/", "/followups/"]),
        ("admin", ["/admin/", "/admin/security/auditentry/"]),
    ]:
        page = _login(browser, url, username, password)
        for path in paths:
            response = page.goto(url + path)
            assert response.status < 400, (username, path, response.status)
            policy = response.headers.get("content-security-policy", "")
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy
            page.wait_for_load_state("networkidle")
            assert _violations(page) == [], (username, path, _violations(page))
        page.context.close()


def test_the_language_switch_still_submits_on_change(platform_server, browser):
    """Its inline onchange handler became cloudhospital.js: picking a language switches."""
    page = _login(browser, platform_server.url, "clinic_doctor", platform_server.password)
    page.goto(platform_server.url + "/consultations/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert _violations(page) == []
    page.context.close()
