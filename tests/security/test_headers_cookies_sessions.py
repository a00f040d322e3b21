"""Headers, cookies and sessions: a strict CSP, HSTS and Secure cookies in production,
staff sessions that end."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cloudhospital.core import sessions

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = ["cloudhospital/templates", "clinics", "imaging", "signaling"]


def test_every_page_carries_a_content_security_policy_without_unsafe_inline(world, client):
    client.force_login(world.alice.user)
    for path in ["/accounts/login/", "/consultations/", "/imaging/", "/no-such-page/"]:
        response = client.get(path)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy, path
        assert "style-src 'self'" in policy, path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_no_template_holds_an_inline_script_style_or_event_handler():
    """Inline code would be blocked by the CSP: each page's script is a static file."""
    offences = []
    for folder in TEMPLATE_DIRS:
        for path in (ROOT / folder).glob("**/templates/**/*"):
            if not path.is_file():
                continue
            text = path.read_text(encoding="utf-8")
            for pattern in [r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>",
                            r"<style\b", r"\son[a-z]+\s*=", r"\sstyle\s*=", r"javascript:"]:
                for match in re.finditer(pattern, text, re.I):
                    offences.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not offences, offences


def test_rendered_pages_hold_no_inline_script(world, client, consultation_at):
    consultation = consultation_at("scheduled")
    client.force_login(world.sam.user)
    for path in ["/consultations/", f"/consultations/{consultation.pk}/",
                 f"/consultations/{consultation.pk}/room/", "/imaging/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
        assert not inline, (path, inline)
        assert not re.search(r"\son[a-z]+=|\sstyle=", html), path


def _production_settings(*names: str) -> dict:
    key = "k1:" + __import__("base64").b64encode(os.urandom(32)).decode()
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECURE_HSTS_SECONDS"}}
    env.update(PRODUCTION="true", SECRET_KEY="x" * 50, ENCRYPTION_KEYS=key,
               ENCRYPTION_ACTIVE_KEY="k1", LOOKUP_HASH_KEY="y" * 32)
    code = ("import json, cloudhospital.settings as s; print(json.dumps({n: getattr(s, n) "
            f"for n in {list(names)!r}}}))")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return __import__("json").loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_hsts_and_marks_every_cookie_secure():
    values = _production_settings("SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE",
                                  "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE")
    assert values["SECURE_HSTS_SECONDS"] >= 180 * 24 * 3600
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["LANGUAGE_COOKIE_SECURE"]


def test_an_https_response_carries_hsts(client, settings, db):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/healthz", secure=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_nginx_sites_send_hsts():
    for name in ["cloudhospital.conf", "compose.conf"]:
        text = (ROOT / "deploy" / "nginx" / name).read_text()
        assert re.search(r'add_header Strict-Transport-Security "max-age=\d{8,}[^"]*" always;',
                         text), name


def _age(client, **seconds):
    session = client.session
    for key, ago in seconds.items():
        session[key] = session[key] - ago
    session.save()


def test_a_staff_session_ends_after_the_idle_timeout(world, client, settings):
    client.force_login(world.alice.user)
    assert client.get("/consultations/").status_code == 200
    _age(client, **{sessions.SEEN: settings.STAFF_SESSION_IDLE_SECONDS + 5})
    response = client.get("/consultations/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.get("/consultations/").status_code == 302  # logged out for good
    from cloudhospital.security.models import AuditEntry

    assert AuditEntry.objects.filter(action="session.expired", actor=world.alice.user).exists()


def test_an_active_staff_session_ends_at_its_absolute_lifetime(world, client, settings):
    client.force_login(world.sam.user)
    assert client.get("/consultations/").status_code == 200
    _age(client, **{sessions.STARTED: settings.STAFF_SESSION_MAX_SECONDS + 5})
    response = client.get("/consultations/")
    assert response.status_code == 302


def test_an_expired_staff_session_gets_401_from_the_api(world, client, settings):
    client.force_login(world.alice.user)
    assert client.get("/api/v1/consultations").status_code == 200
    _age(client, **{sessions.SEEN: settings.STAFF_SESSION_IDLE_SECONDS + 5})
    assert client.get("/api/v1/consultations").status_code == 401


def test_an_active_staff_session_within_both_limits_stays(world, client, settings):
    client.force_login(world.alice.user)
    _age(client, **{sessions.SEEN: settings.STAFF_SESSION_IDLE_SECONDS - 60,
                    sessions.STARTED: settings.STAFF_SESSION_MAX_SECONDS - 60})
    assert client.get("/consultations/").status_code == 200


def test_a_patients_session_has_no_staff_idle_timeout(world, client, settings):
    client.force_login(world.pat.user)
    assert client.get("/me/").status_code == 200
    _age(client, **{sessions.SEEN: settings.STAFF_SESSION_IDLE_SECONDS + 5})
    assert client.get("/me/").status_code == 200


@pytest.mark.parametrize("name", ["STAFF_SESSION_IDLE_SECONDS", "STAFF_SESSION_MAX_SECONDS"])
def test_session_lifetimes_are_settings(name, settings):
    assert getattr(settings, name) > 0
