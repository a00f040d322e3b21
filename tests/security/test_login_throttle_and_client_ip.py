"""Login cannot be brute-forced, and a client cannot choose the address we record."""

import pytest

from cloudhospital.security import clientip
from cloudhospital.security.models import AuditEntry


def _fail(client, username, times, path="/accounts/login/", **extra):
    for _ in range(times):
        response = client.post(path, {"username": username, "password": "wrong"}, **extra)
        assert response.status_code == 200


def test_a_full_width_spelling_of_a_throttled_username_is_throttled_too(world, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    _fail(client, "alice", 3, REMOTE_ADDR="192.0.2.1")
    # Another address, the same user written in full-width letters: login would accept it.
    response = client.post("/accounts/login/", {"username": "ａｌｉｃｅ",
                                                "password": world.password},
                           REMOTE_ADDR="192.0.2.2")
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


def test_full_width_failures_count_against_the_plain_username(world, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for i, spelling in enumerate(["ａｌｉｃｅ", "ALICE", "alice "]):
        _fail(client, spelling, 1, REMOTE_ADDR=f"192.0.2.{10 + i}")
    response = client.post("/accounts/login/", {"username": "alice",
                                                "password": world.password},
                           REMOTE_ADDR="192.0.2.20")
    assert response.status_code == 429


def test_the_admin_login_goes_through_the_same_throttle(world, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    _fail(client, "admin", 3, path="/admin/login/", REMOTE_ADDR="192.0.2.30")
    response = client.post("/admin/login/", {"username": "admin", "password": world.password},
                           REMOTE_ADDR="192.0.2.31")
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated
    assert AuditEntry.objects.filter(action="login.throttled", object_id="admin").exists()


def test_the_admin_login_still_logs_a_superuser_in(world, client):
    response = client.get("/admin/login/")
    assert response.status_code == 200 and b'name="password"' in response.content
    response = client.post("/admin/login/?next=/admin/", {
        "username": "admin", "password": world.password, "next": "/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert AuditEntry.objects.filter(action="login", actor=world.admin).exists()


def test_the_admin_login_refuses_a_non_staff_user(world, client):
    response = client.post("/admin/login/", {"username": "pat", "password": world.password})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_a_new_forwarded_address_per_attempt_does_not_reset_the_address_counter(
        world, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXIES = []
    for i in range(3):
        _fail(client, f"nobody{i}", 1, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    response = client.post("/accounts/login/", {"username": "alice",
                                                "password": world.password},
                           HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429


def test_forwarded_for_counts_only_from_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "::1"]
    assert clientip.resolve("127.0.0.1", "198.51.100.7") == "127.0.0.1"
    assert clientip.resolve("10.1.2.3", "198.51.100.7") == "198.51.100.7"
    assert clientip.resolve("::1", "198.51.100.7") == "198.51.100.7"
    # read right to left: what the client wrote first is not believed
    assert clientip.resolve("10.1.2.3", "1.1.1.1, 198.51.100.7, 10.9.9.9") == "198.51.100.7"
    # garbage stops the walk at the last address we can vouch for
    assert clientip.resolve("10.1.2.3", "8.8.8.8-not-an-ip<x>") == "10.1.2.3"
    assert clientip.resolve("10.1.2.3", "not-an-ip") == "10.1.2.3"
    assert clientip.resolve("not-an-ip", None) is None
    assert clientip.resolve("::ffff:192.0.2.5", None) == "192.0.2.5"


def test_a_trusted_proxy_setting_that_is_not_an_address_is_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.TRUSTED_PROXIES = ["nginx.local"]
    with pytest.raises(ImproperlyConfigured):
        clientip.resolve("10.0.0.1", "1.2.3.4")


def test_the_audit_trail_never_stores_a_forged_or_malformed_address(
        world, consultation_at, api_as, settings):
    """On PostgreSQL the column is inet: the raw header used to make this request a 500."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    consultation = consultation_at("requested")
    api = api_as(world.sam.user)
    for forged in ["not-an-ip", "8.8.8.8-not-an-ip<x>", "1.2.3.4, not-an-ip"]:
        response = api.get(f"/consultations/{consultation.pk}", REMOTE_ADDR="127.0.0.1",
                           HTTP_X_FORWARDED_FOR=forged)
        assert response.status_code == 200, forged
        assert AuditEntry.objects.order_by("-id").first().client_address == "127.0.0.1"
    api.get(f"/consultations/{consultation.pk}", REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.23")
    assert AuditEntry.objects.order_by("-id").first().client_address == "198.51.100.23"
    # from an untrusted peer the header is ignored altogether
    api.get(f"/consultations/{consultation.pk}", REMOTE_ADDR="192.0.2.9",
            HTTP_X_FORWARDED_FOR="198.51.100.23")
    assert AuditEntry.objects.order_by("-id").first().client_address == "192.0.2.9"


def test_an_explicit_address_that_is_not_an_ip_is_not_written(world):
    from cloudhospital.security import audit

    entry = audit.record(world.alice.user, "patient.read", world.pat, address="not-an-ip")
    assert entry.client_address is None


def test_an_untrusted_peer_cannot_claim_https(client, settings, db):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="192.0.2.1")
    assert not response.wsgi_request.is_secure()
    response = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.0.0.1")
    assert response.wsgi_request.is_secure()


def test_every_reader_of_the_client_address_goes_through_client_ip():
    """One function reads REMOTE_ADDR / X-Forwarded-For; everything else asks it."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readers = set()
    for path in root.glob("**/*.py"):
        if any(part in {".venv", "var", "tests", "node_modules"} for part in path.parts):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"[\"']REMOTE_ADDR|HTTP_X_FORWARDED_FOR|b\"x-forwarded-for|"
                     r"scope(\.get\(|\[)\"client\"", text, re.I):
            readers.add(path.relative_to(root).as_posix())
    assert readers == {"cloudhospital/security/clientip.py", "cloudhospital/core/middleware.py"}
