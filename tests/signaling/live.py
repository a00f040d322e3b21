"""Helpers for live signaling tests: a scheduled consultation on a running platform, and
headless aiortc clients started exactly as a room device would start them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

from tests.conftest import ROOT

SCHEDULE = """
import datetime as dt
from django.contrib.auth import get_user_model
from django.utils import timezone
from clinics.consultations import actions
from clinics.models import Patient
from clinics.consultations.models import RecordingConsent
U = get_user_model()
doc, sp = U.objects.get(username="clinic_doctor"), U.objects.get(username="specialist")
patient = Patient.objects.filter(home_institution=doc.staff.institution).first()
c = actions.create_request(doc, actions.RequestDetails(
    patient=patient, invited_institution=sp.staff.institution, specialist=sp.staff,
    reason="live test", clinical_question="q", record_summary="s"))
actions.record_consent(doc, c, signed_by=patient.name, relation="self",
                       signed_at=timezone.now(), method="written", recording_allowed=%(rec)s)
c = actions.accept(sp, actions.submit_request(doc, c))
c = actions.schedule(sp, c, when=timezone.now() + dt.timedelta(hours=1))
for staff in (doc.staff, sp.staff):
    RecordingConsent.objects.create(consultation=c, staff=staff, allowed=%(rec)s)
print(c.pk)
"""


def scheduled_consultation(platform, recording: bool = False) -> str:
    """A new alice-and-sam style consultation between the demo clinic doctor and specialist."""
    out = platform.manage("shell", "-c", SCHEDULE % {"rec": recording}).stdout
    return out.strip().splitlines()[-1]


def start_client(server: str, consultation_id: str, token: str, *extra: str,
                 env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "signaling.client", "--server", server, "--consultation",
         consultation_id, "--token", token, "--loopback-only", *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(process: subprocess.Popen, timeout: float = 150) -> tuple[int, dict, str]:
    """Wait for a client; returns (exit code, its JSON summary, its stderr)."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return process.returncode, json.loads(lines[-1]) if lines else {}, err[-3000:]


def start_daphne(env: dict, port: int, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                             "cloudhospital.asgi:application"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"daphne at {url} did not become healthy")
