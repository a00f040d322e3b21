"""Serve DICOM C-ECHO and C-STORE (started by ``runplatform``/``make run``).

SIGTERM or Ctrl-C stops accepting associations, lets the running ones finish (each
instance is acknowledged only after it is indexed), then exits.
"""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from imaging.dicom_handlers import start_listener


class Command(BaseCommand):
    help = "DICOM C-STORE/C-ECHO listener (AE DICOM_AE_TITLE on DICOM_BIND:DICOM_PORT)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.DICOM_PORT)
        parser.add_argument("--bind", default=settings.DICOM_BIND)
        parser.add_argument("--ae-title", default=settings.DICOM_AE_TITLE)

    def handle(self, port, bind, ae_title, **options):
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        server = start_listener(ae_title, bind, port)
        self.stdout.write(f"DICOM listener {ae_title} on {bind}:{port}", ending="\n")
        self.stdout.flush()
        stop.wait()
        running = server.active_associations
        server.shutdown()  # stop accepting; let the running associations finish
        for assoc in running:
            assoc.join(timeout=30)
        self.stdout.write("DICOM listener stopped")
