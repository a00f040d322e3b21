"""Orthanc (Debian ``orthanc`` + ``orthanc-dicomweb``) as the reference PACS.

Run in the foreground as ``/usr/sbin/Orthanc CONFIG.json`` on free ports with its storage
in a temp folder, loopback only (``RemoteAccessAllowed: false``), ``DicomWeb.Host`` set so
its retrieve URLs point back at it, and ``TCP_NODELAY=1`` (dcmtk's switch for Nagle).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from load_tests.common import LOOPBACK, Http, NotAvailable, free_port, nodelay_env, stop

BINARY = "/usr/sbin/Orthanc"
AE_TITLE = "ORTHANC"


def dicomweb_plugin() -> str | None:
    """The plugin's .so, found the way the issue says: ``dpkg -L orthanc-dicomweb``."""
    with suppress(OSError, subprocess.SubprocessError):
        listing = subprocess.run(["dpkg", "-L", "orthanc-dicomweb"], capture_output=True,
                                 text=True, timeout=20).stdout.split()
        for path in listing:
            if path.endswith(".so") and Path(path).exists():
                return path
        for path in listing:
            if ".so" in path and Path(path).is_file():
                return path
    return None


def version() -> str:
    with suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run([BINARY, "--version"], capture_output=True, text=True,
                             timeout=20).stdout.split()
        return out[1] if len(out) > 1 else "?"
    return "?"


class Orthanc:
    def __init__(self, tmp: Path):
        if not Path(BINARY).exists():
            raise NotAvailable("Orthanc is not installed (Debian package `orthanc`)")
        self.plugin = dicomweb_plugin()
        if self.plugin is None:
            raise NotAvailable("the DICOMweb plugin is not installed (`orthanc-dicomweb`)")
        self.tmp = tmp
        self.http_port, self.dicom_port = free_port(), free_port()
        self.url = f"http://{LOOPBACK}:{self.http_port}"
        self.dicomweb = self.url + "/dicom-web"
        self.process: subprocess.Popen | None = None

    def config(self) -> dict:
        return {
            "Name": "bench-reference",
            "StorageDirectory": str(self.tmp / "storage"),
            "IndexDirectory": str(self.tmp / "index"),
            "HttpPort": self.http_port, "DicomPort": self.dicom_port,
            "DicomAet": AE_TITLE, "DicomCheckCalledAet": False,
            "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
            "StorageCompression": False, "SaveJobs": False,
            "Plugins": [self.plugin],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": True,
                         "Host": f"{LOOPBACK}:{self.http_port}", "Ssl": False},
        }

    def start(self) -> Orthanc:
        self.tmp.mkdir(parents=True, exist_ok=True)
        path = self.tmp / "orthanc.json"
        path.write_text(json.dumps(self.config(), indent=1))
        self.log = open(self.tmp / "orthanc.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([BINARY, str(path)], env=nodelay_env(),
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with suppress(OSError):
                if self.get_json("/system").get("Version"):
                    return self
            time.sleep(0.2)
        self.stop()
        raise NotAvailable("Orthanc did not start: "
                           + (self.tmp / "orthanc.log").read_text()[-400:])

    def get_json(self, path: str):
        client = Http(self.http_port, timeout=30)
        try:
            status, data = client.json("GET", path)
        finally:
            client.close()
        if status != 200:
            raise OSError(f"Orthanc answered {status} to {path}")
        return data

    def count_instances(self) -> int:
        return int(self.get_json("/statistics")["CountInstances"])

    def stop(self) -> None:
        stop(self.process)
        if getattr(self, "log", None):
            self.log.close()

    def wipe(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


@contextmanager
def running(tmp: Path):
    server = Orthanc(tmp).start()
    try:
        yield server
    finally:
        server.stop()
        server.wipe()
