"""Shared fixtures: the named personas of a small world, and a live platform on loopback.

Personas (healthchecks-style, not factory soup):
- alice: licensed clinic doctor at grassroots centre A
- oscar: licensed clinic doctor at grassroots centre B (the outsider for alice's work)
- dora: clinic doctor at centre A whose licence is not verified
- sam: licensed cardiology specialist at the tertiary hospital
- tom: licensed endocrinology specialist at the same hospital (outsider for sam's work)
- carol: coordinator at the hospital
- pat: a patient of centre A with hypertension diagnosed in person; has a login
- admin: superuser
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test its own cache keys: on Redis the cache outlives tests and CI runs (login
    throttling counters would otherwise leak from one test, or one run, into the next)."""
    settings.CACHES = {name: {**conf, "KEY_PREFIX": f"test-{secrets.token_hex(6)}"}
                       for name, conf in settings.CACHES.items()}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is the production hasher (see test_login); unit tests need not pay for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(username, **extra):
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)


@pytest.fixture
def world(db):
    from clinics.idcard import make_national_id
    from clinics.models import (
        CareLevel,
        CloudClinic,
        Department,
        Diagnosis,
        Institution,
        Patient,
        Role,
        Staff,
    )
    from cloudhospital.security.crypto import lookup_hash

    hospital = Institution.objects.create(name="Test Tertiary", care_level=CareLevel.TERTIARY)
    centre_a = Institution.objects.create(name="Centre A", care_level=CareLevel.GRASSROOTS)
    centre_b = Institution.objects.create(name="Centre B", care_level=CareLevel.GRASSROOTS)
    cardiology = Department.objects.create(institution=hospital, name="Cardiology",
                                           specialty="cardiology")
    endocrinology = Department.objects.create(institution=hospital, name="Endocrinology",
                                              specialty="endocrinology")
    clinic_a = CloudClinic.objects.create(institution=centre_a, name="Room 1")

    def staff(username, institution, role, licence=None, verified=True, department=None):
        return Staff.objects.create(user=_user(username), institution=institution, role=role,
                                    real_name=username.title(), department=department,
                                    licence_number="L" + secrets.token_hex(4)
                                    if licence is None else licence, licence_verified=verified,
                                    title="Dr")

    w = SimpleNamespace(hospital=hospital, centre_a=centre_a, centre_b=centre_b,
                        cardiology=cardiology, endocrinology=endocrinology, clinic_a=clinic_a,
                        password=PASSWORD)
    w.alice = staff("alice", centre_a, Role.CLINIC_DOCTOR)
    w.oscar = staff("oscar", centre_b, Role.CLINIC_DOCTOR)
    w.dora = staff("dora", centre_a, Role.CLINIC_DOCTOR, verified=False)
    w.sam = staff("sam", hospital, Role.SPECIALIST, department=cardiology)
    w.tom = staff("tom", hospital, Role.SPECIALIST, department=endocrinology)
    w.carol = staff("carol", hospital, Role.COORDINATOR, licence="")
    number = make_national_id("210102", dt.date(1956, 3, 1), 101)
    w.pat = Patient.objects.create(
        user=_user("pat"), home_institution=centre_a, name="Pat", sex="M",
        date_of_birth=dt.date(1956, 3, 1), national_id=number,
        national_id_hash=lookup_hash(number), phone="13900000001")
    w.pat_diagnosis = Diagnosis.objects.create(patient=w.pat, icd10="I10", name="Hypertension",
                                               diagnosed_on=dt.date(2022, 5, 1),
                                               institution=centre_a, in_person=True)
    other = make_national_id("210102", dt.date(1960, 1, 2), 102)
    w.quinn = Patient.objects.create(
        user=_user("quinn"), home_institution=centre_b, name="Quinn", sex="F",
        date_of_birth=dt.date(1960, 1, 2), national_id=other,
        national_id_hash=lookup_hash(other))
    w.admin = get_user_model().objects.create_superuser("admin", password=PASSWORD)
    return w


def advance(world, consultation, to: str):
    """Walk a consultation through the real workflow up to status ``to``."""
    from clinics.consultations import actions

    order = ["draft", "requested", "accepted", "scheduled", "in_progress", "completed"]
    steps = {
        "requested": lambda c: (actions.record_consent(
            world.alice.user, c, signed_by="Pat", relation="self",
            signed_at=timezone.now(), method="written"),
            actions.submit_request(world.alice.user, c))[1],
        "accepted": lambda c: actions.accept(world.sam.user, c),
        "scheduled": lambda c: actions.schedule(world.sam.user, c,
                                                when=timezone.now() + dt.timedelta(hours=1)),
        "in_progress": lambda c: actions.start(world.sam.user, c),
        "completed": lambda c: (actions.save_report_draft(
            world.sam.user, c, findings="f", opinion="o", recommendations="r"),
            actions.sign_report(world.sam.user, c), actions.complete(world.sam.user, c))[2],
    }
    for status in order[order.index(consultation.status) + 1: order.index(to) + 1]:
        consultation = steps[status](consultation)
    return consultation


@pytest.fixture
def consultation_at(world):
    """``consultation_at("scheduled")``: alice's consultation for pat, addressed to sam."""
    from clinics.consultations import actions

    def make(status: str = "draft"):
        draft = actions.create_request(world.alice.user, actions.RequestDetails(
            patient=world.pat, invited_institution=world.hospital, specialist=world.sam,
            reason="BP uncontrolled", clinical_question="Change therapy?",
            record_summary="HTN 10 years"))
        return advance(world, draft, status)

    return make


# --- a live platform on loopback ------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_database_url(tag: str) -> tuple[str, callable]:
    """A new, empty database for a live server: SQLite in a temp dir or a new PG database."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        return "", lambda: None
    import psycopg

    name = f"ch_live_{tag}_{secrets.token_hex(4)}"
    admin_url = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return base.rsplit("/", 1)[0] + "/" + name, drop


class LivePlatform:
    """``make run`` in miniature: migrate, seed_demo, then runplatform on free ports."""

    def __init__(self, tmp: Path, tag: str = "t"):
        self.data_dir = tmp
        self.port, self.dicom_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.password = "demo-" + secrets.token_hex(6)
        database_url, self._drop = _fresh_database_url(tag)
        self.env = {**os.environ, "DATA_DIR": str(tmp), "DATABASE_URL": database_url,
                    "PORT": str(self.port), "DICOM_PORT": str(self.dicom_port),
                    "DEMO_PASSWORD": self.password, "PYTHONUNBUFFERED": "1",
                    "DJANGO_SETTINGS_MODULE": "cloudhospital.settings"}
        self.process = None

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=self.env,
                              cwd=ROOT, capture_output=True, text=True, check=check,
                              timeout=300)

    def token(self, username: str) -> str:
        return self.manage("create_api_token", username).stdout.strip().splitlines()[-1]

    def start(self):
        self.manage("migrate", "--noinput")
        self.manage("seed_demo")
        self.log = open(self.data_dir / "platform.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runplatform", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
            if self.process.poll() is not None:
                break
        raise RuntimeError("platform did not start:\n" + (self.data_dir / "platform.log")
                           .read_text()[-4000:])

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        self._drop()


CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by scripts/system-deps.sh
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser():
    """Headless Debian Chromium through Playwright (no downloaded browser, no outside traffic)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def platform_server(tmp_path_factory):
    """One live platform (daphne + worker + DICOM listener) for the whole test session."""
    platform = LivePlatform(tmp_path_factory.mktemp("platform")).start()
    yield platform
    platform.stop()


class Api:
    """The one test client: ``Api(user)`` speaks JSON to /api/v1 with a real bearer token;
    ``Api(user, session=True).client`` is a logged-in browser for pages and DICOMweb.
    ``user`` may be a Staff or a User; None is the anonymous caller."""

    def __init__(self, user, *, session: bool = False):
        from django.test import Client

        from cloudhospital.security.tokens import create_api_token

        user = getattr(user, "user", user)
        self.client = Client()
        self.headers = {}
        if user is not None and session:
            self.client.force_login(user)
        elif user is not None:
            self.headers["Authorization"] = "Bearer " + create_api_token(user)[1]

    def _call(self, method, path, body=None, **extra):
        kwargs = {"headers": self.headers, **extra}
        if body is not None:
            kwargs["data"] = body if isinstance(body, (str, bytes)) else __import__(
                "json").dumps(body, default=str)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)("/api/v1" + path, **kwargs)

    def get(self, path, **extra):
        return self._call("get", path, **extra)

    def post(self, path, body=None, **extra):
        return self._call("post", path, body if body is not None else {}, **extra)

    def put(self, path, body=None, **extra):
        return self._call("put", path, body, **extra)


@pytest.fixture
def api_as():
    """``api_as(world.alice.user).get("/consultations")``."""
    return Api


@pytest.fixture
def client_for():
    """``client_for(world.alice).get("/studies/")``: a logged-in browser (see Api)."""
    return lambda staff_or_user: Api(staff_or_user, session=True).client
