"""Stand-ins for an outside SMS gateway, behind the notify.SmsBackend interface."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.db import transaction

from clinics.followups.notify import LocalSmsBackend


class BrokenGateway(LocalSmsBackend):
    """A gateway that is down: every send fails."""

    def send(self, *, dedupe_key, patient, text):
        raise ConnectionError("SMS gateway unreachable")


class HangingGateway(LocalSmsBackend):
    """Sends like the local backend, then tells the test (a marker file) and hangs until
    the worker is killed: before the job's transaction commits, or just after."""

    def send(self, *, dedupe_key, patient, text):
        super().send(dedupe_key=dedupe_key, patient=patient, text=text)

        def hang():
            Path(os.environ["FOLLOWUP_TEST_HANG_MARKER"]).write_text(str(os.getpid()))
            time.sleep(600)

        if os.environ.get("FOLLOWUP_TEST_HANG_WHEN") == "after_commit":
            transaction.on_commit(hang)
        else:
            hang()
