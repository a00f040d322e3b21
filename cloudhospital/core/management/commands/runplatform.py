"""Run the whole platform in one command: daphne, the task worker, the DICOM listener.

Each part is its own process (as in production, see deploy/); Ctrl-C or SIGTERM stops
them all cleanly, and if one dies the others are stopped too, so nothing runs half-up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand


def platform_processes(port: int) -> list[tuple[str, list[str]]]:
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    parts = [("web", [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                      "cloudhospital.asgi:application"])]
    commands = get_commands()
    if "db_worker" in commands:
        # A recording lasts as long as its call: it gets a worker of its own.
        parts.append(("worker", [*manage, "db_worker", "--queue-name", "*",
                                 "--exclude-queues", "recordings"]))
        parts.append(("recorder", [*manage, "db_worker", "--queue-name", "recordings"]))
    if "dicom_listener" in commands:
        parts.append(("dicom", [*manage, "dicom_listener"]))
    return parts


class Command(BaseCommand):
    help = "Serve web + WebSockets (daphne), the task worker and the DICOM listener."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))

    def handle(self, port, **options):
        procs = []
        for name, argv in platform_processes(port):
            self.stdout.write(f"starting {name}: {' '.join(argv[1:])}")
            procs.append((name, subprocess.Popen(argv)))
        self.stdout.write(self.style.SUCCESS(
            f"CloudHospital on http://127.0.0.1:{port}/ (DICOM {settings.DICOM_AE_TITLE}"
            f"@{settings.DICOM_BIND}:{settings.DICOM_PORT}); Ctrl-C stops"))
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping and all(p.poll() is None for _, p in procs):
            time.sleep(0.5)
        for _name, proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for name, proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            self.stdout.write(f"{name} stopped ({proc.returncode})")
