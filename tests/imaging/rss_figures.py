"""Peak RSS of the DICOM listener and of daphne under the hostile inputs of issue 10 item 1.

Not a test (it takes minutes and prints figures): ``python -m tests.imaging.rss_figures``
from a checkout starts a live platform (``runplatform``: daphne, worker, listener) on a
fresh SQLite database, sends each input and prints each process's peak RSS growth (VmHWM
after resetting it through /proc/PID/clear_refs). ``--skip NAME`` leaves an input out (on
an unfixed checkout some cost gigabytes).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import struct
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudhospital.settings")
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="rss-"))

import django  # noqa: E402

django.setup()

from tests.conftest import LivePlatform  # noqa: E402
from tests.imaging import hostile  # noqa: E402

MiB = hostile.MiB


def children(pid: int) -> dict[str, int]:
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != pid:
                continue
            cmd = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        for name in ("daphne", "dicom_listener"):
            if name in cmd:
                found[name] = int(stat.parent.name)
    return found


def measure(pids: dict[str, int], label: str, work) -> None:
    start = {}
    for name, pid in pids.items():
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        start[name] = hostile.rss_kb(pid)
    began = time.monotonic()
    try:
        outcome = work()
    except Exception as exc:  # noqa: BLE001 - the figure matters, not the client's error
        outcome = f"client error: {exc!r}"[:120]
    took = time.monotonic() - began
    growth = {name: (hostile._hwm_kb(pid) - start[name]) // 1024 for name, pid in pids.items()}
    print(f"{label:<46} listener +{growth['dicom_listener']:>5} MB  daphne "
          f"+{growth['daphne']:>5} MB  {took:6.1f}s  {outcome}", flush=True)


def storescu(port: int, path: Path, propose: str) -> str:
    result = subprocess.run(["storescu", "-aet", "DEMO_CT", "-aec", "CLOUDHOSPITAL", propose,
                             "127.0.0.1", str(port), str(path)], capture_output=True,
                            text=True, timeout=600)
    text = result.stdout + result.stderr
    status = re.findall(r"(Status: .*|Error Comment.*|Association Aborted|Rejected.*)", text)
    return f"rc={result.returncode} {'; '.join(status)[:100]}"


def pdu_flood(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(struct.pack(">BBL", 0x01, 0, 256 * MiB))
        sent, chunk = 0, bytes(MiB)
        sock.settimeout(60)
        try:
            while sent < 256 * MiB:
                sent += sock.send(chunk)
        except OSError:
            pass
    return f"sent {sent // MiB} MiB before the listener closed"


def request(platform, method, path, body=b"", headers=None, stream=None, length=None):
    conn = http.client.HTTPConnection("127.0.0.1", platform.port, timeout=600)
    headers = dict(headers or {})
    if stream is not None:
        headers["Content-Length"] = str(length)
        conn.putrequest(method, path)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        try:
            while chunk := stream.read(MiB):
                conn.send(chunk)
        except OSError:
            pass
    else:
        conn.request(method, path, body, headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data, response.headers


def stow(platform, token, parts: list[bytes]) -> str:
    boundary = "b" + uuid.uuid4().hex
    body = b"".join(f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + p
                    + b"\r\n" for p in parts) + f"--{boundary}--\r\n".encode()
    status, data, _ = request(platform, "POST", "/dicomweb/studies", body, {
        "Authorization": f"Bearer {token}",
        "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}'})
    return f"HTTP {status} {data[:90]!r}"


def quarantined(platform) -> int:
    out = platform.manage("shell", "-c", "from imaging.models import QuarantinedItem;"
                          "print(QuarantinedItem.objects.count())").stdout
    return int(out.strip().splitlines()[-1])


def login(platform) -> tuple[str, str]:
    status, page, headers = request(platform, "GET", "/accounts/login/")
    cookies = " ".join(headers.get_all("Set-Cookie") or [])
    csrf = re.search(r"csrftoken=([^;]+)", cookies).group(1)
    form = f"username=clinic_doctor&password={platform.password}&csrfmiddlewaretoken={csrf}"
    status, _, headers = request(platform, "POST", "/accounts/login/", form.encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"})
    cookies = " ".join(headers.get_all("Set-Cookie") or [])
    session = re.search(r"sessionid=([^;]+)", cookies).group(1)
    return csrf, session


def upload(platform, path: Path) -> str:
    csrf, session = login(platform)
    boundary = "u" + uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\""
            f"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"files\"; filename=\"{path.name}\"\r\nContent-Type: application/zip"
            "\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + path.read_bytes() + tail
    status, _, headers = request(platform, "POST", "/imaging/upload/", body, {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Cookie": f"csrftoken={csrf}; sessionid={session}",
        "Referer": platform.url + "/imaging/"})
    return f"HTTP {status} -> {headers.get('Location')}, quarantined {quarantined(platform)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip", action="append", default=[])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rss-inputs-"))
    platform = LivePlatform(work / "platform", "rss").start()
    try:
        token = platform.token("clinic_doctor")
        time.sleep(3)
        pids = children(platform.process.pid)
        files = {
            "deflated16": hostile.deflated_zeros(12288, 12288, 16),
            "deflated8": hostile.deflated_zeros(12288, 12288, 8),
            "rle": hostile.rle_bogus(16384, 16384),
            "jpeg": hostile.jpeg_with_header(64, 64, 20000, 20000),
        }
        paths = {}
        for name, data in files.items():
            paths[name] = work / f"{name}.dcm"
            paths[name].write_bytes(data)
        print("inputs: " + ", ".join(f"{k} {len(v) // 1024} KB" for k, v in files.items()))
        propose = {"deflated16": "-xd", "deflated8": "-xd", "rle": "-xr", "jpeg": "-xy"}
        if "pdu" not in args.skip:
            measure(pids, "PDU header claiming 256 MiB (+256 MiB sent)",
                    lambda: pdu_flood(platform.dicom_port))
        for name in files:
            if f"cstore-{name}" not in args.skip:
                measure(pids, f"C-STORE {name}", lambda n=name: storescu(
                    platform.dicom_port, paths[n], propose[n]))
            if f"stow-{name}" not in args.skip:
                measure(pids, f"STOW {name}", lambda n=name: stow(platform, token,
                                                                  [files[n]]))
        instances = platform.manage("shell", "-c", "from imaging.models import Instance;"
                                    "import json;print(json.dumps([[i.series.study."
                                    "study_instance_uid,i.series.series_instance_uid,"
                                    "i.sop_instance_uid,i.rows] for i in Instance.objects."
                                    "select_related('series__study')]))").stdout
        big = [i for i in json.loads(instances.strip().splitlines()[-1]) if i[3] == 12288]
        if big and "render" not in args.skip:
            url = "/dicomweb/studies/{}/series/{}/instances/{}/rendered".format(*big[0][:3])
            measure(pids, "/rendered of the Deflated 12288^2 8-bit instance", lambda: (
                lambda r: f"HTTP {r[0]} {r[1][:80]!r}")(request(
                    platform, "GET", url, headers={"Authorization": f"Bearer {token}"})))
        small = hostile.deflated_zeros(8192, 8192, 8)
        print(f"frames input: Deflated 8192^2 8-bit, {len(small) // 1024} KB:",
              stow(platform, token, [small]))
        instances = platform.manage("shell", "-c", "from imaging.models import Instance;"
                                    "import json;print(json.dumps([[i.series.study."
                                    "study_instance_uid,i.series.series_instance_uid,"
                                    "i.sop_instance_uid,i.rows] for i in Instance.objects."
                                    "select_related('series__study')]))").stdout
        mid = [i for i in json.loads(instances.strip().splitlines()[-1]) if i[3] == 8192]
        if mid and "frames" not in args.skip:
            url = ("/dicomweb/studies/{}/series/{}/instances/{}/frames/".format(*mid[0][:3])
                   + ",".join("1" * 8))

            def frames():
                status, data, _ = request(platform, "GET", url, headers={
                    "Authorization": f"Bearer {token}",
                    "Accept": 'multipart/related; type="application/octet-stream"'})
                return f"HTTP {status}, {len(data) // MiB} MiB answered"
            measure(pids, "/frames/1,1,1,1,1,1,1,1 of a Deflated 8192^2", frames)
            rendered = "/dicomweb/studies/{}/series/{}/instances/{}/rendered".format(
                *mid[0][:3])
            measure(pids, "/rendered of the Deflated 8192^2 8-bit instance", lambda: (
                lambda r: f"HTTP {r[0]} {r[1][:80]!r}")(request(
                    platform, "GET", rendered, headers={"Authorization": f"Bearer {token}"})))
        if "zip" not in args.skip:
            bomb = hostile.zip_bomb(work / "bomb.zip", 256 * MiB)
            measure(pids, f"upload zip, one 256 MiB member ({bomb.stat().st_size // 1024} KB)",
                    lambda: upload(platform, bomb))
        if "parts" not in args.skip:
            before = quarantined(platform)
            measure(pids, "STOW of 20,000 one-byte parts", lambda: stow(
                platform, token, [b"x"] * 20000) + f", +{quarantined(platform) - before} "
                "quarantine rows")
        if "anon" not in args.skip:
            class Zeros:
                left = 200 * MiB

                def read(self, n):
                    n = min(n, self.left)
                    self.left -= n
                    return bytes(n)

            def anonymous():
                status, data, _ = request(platform, "POST", "/dicomweb/studies", stream=Zeros(),
                                          length=200 * MiB, headers={
                                              "Content-Type": "multipart/related; boundary=x"})
                return f"HTTP {status} {data[:60]!r}"
            measure(pids, "unauthenticated 200 MiB STOW body", anonymous)
    finally:
        platform.stop()


if __name__ == "__main__":
    main()
