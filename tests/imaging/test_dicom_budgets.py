"""The DICOM door under hostile peers: the real listener process (``manage.py
dicom_listener``), raw sockets and real SCUs. A PDU longer than DICOM_MAX_PDU_BYTES is
refused before its body is read, with or without an association, and the listener's
memory stays flat; a called AE title that is not ours is rejected."""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
import time

import pytest
from pynetdicom import AE
from pynetdicom.sop_class import CTImageStorage, Verification

from tests.conftest import ROOT, free_port
from tests.imaging.dicomfiles import sample_path, synthetic
from tests.imaging.hostile import MiB, peak_rss_growth

pytestmark = [pytest.mark.live]


def dcmtk(tool, port, *args, aet="DEMO_CT", aec="CLOUDHOSPITAL"):
    return subprocess.run([tool, "-aet", aet, "-aec", aec, "127.0.0.1", str(port), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def listener_process(platform_server):
    """The listener command as runplatform starts it, on the demo database (AE DEMO_CT)."""
    def start(**env):
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "dicom_listener", "--port", str(port)],
            env={**platform_server.env, **env}, cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        started.append(proc)
        assert "DICOM listener" in proc.stdout.readline()
        deadline = time.monotonic() + 30
        while dcmtk("echoscu", port).returncode != 0:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.2)
        return proc, port

    started: list[subprocess.Popen] = []
    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _flood(sock: socket.socket, total: int) -> int:
    """Send up to ``total`` zero bytes; how many went before the peer closed."""
    sent, chunk = 0, bytes(MiB)
    sock.settimeout(30)
    try:
        while sent < total:
            sent += sock.send(chunk[: total - sent])
    except OSError:
        pass
    return sent


def _closed(sock: socket.socket) -> bytes:
    """Everything the peer still sends, then EOF (or a reset): proof it hung up."""
    sock.settimeout(30)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def test_a_pdu_header_claiming_256_mib_before_association_is_refused_unread(
        listener_process):
    proc, port = listener_process()
    with peak_rss_growth(proc.pid) as growth, socket.create_connection(
            ("127.0.0.1", port)) as sock:
        sock.sendall(struct.pack(">BBL", 0x01, 0, 256 * MiB))  # A-ASSOCIATE-RQ header
        sent = _flood(sock, 256 * MiB)
        answer = _closed(sock)
    assert sent < 64 * MiB  # the listener stopped reading: the flood hit a closed socket
    assert answer in (b"", bytes([0x07, 0, 0, 0, 0, 4, 0, 0, 2, 6]))
    assert growth() < 32 * MiB
    assert dcmtk("echoscu", port).returncode == 0  # and it still serves others


def test_a_pdata_pdu_over_the_maximum_inside_an_association_is_refused(listener_process):
    proc, port = listener_process()
    ae = AE(ae_title="DEMO_CT")
    ae.add_requested_context(Verification)
    assoc = ae.associate("127.0.0.1", port, ae_title="CLOUDHOSPITAL")
    assert assoc.is_established
    raw = assoc.dul.socket.socket
    try:
        with peak_rss_growth(proc.pid) as growth:
            raw.sendall(struct.pack(">BBL", 0x04, 0, 256 * MiB))  # P-DATA-TF header
            sent = _flood(raw, 256 * MiB)
            deadline = time.monotonic() + 30
            while assoc.is_alive() and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        assoc.abort()
    assert sent < 64 * MiB
    assert growth() < 32 * MiB


def test_a_data_set_over_the_instance_limit_is_refused_while_it_arrives(listener_process):
    """Many PDUs within the PDU limit that add up to more than IMAGING_MAX_INSTANCE_BYTES."""
    proc, port = listener_process(IMAGING_MAX_INSTANCE_BYTES=str(2 * MiB))
    ae = AE(ae_title="DEMO_CT")
    ae.add_requested_context(CTImageStorage)
    big = synthetic(rows=1024, columns=1024)  # 2 MiB of pixels
    assoc = ae.associate("127.0.0.1", port, ae_title="CLOUDHOSPITAL")
    assert assoc.is_established
    try:
        status = assoc.send_c_store(big)
    finally:
        assoc.abort()
    assert not status  # no response: the association was aborted mid data set
    assoc = ae.associate("127.0.0.1", port, ae_title="CLOUDHOSPITAL")
    try:  # a small instance still goes through on a new association
        assert assoc.send_c_store(synthetic(rows=64, columns=64)).Status == 0
    finally:
        assoc.release()


def test_a_called_ae_title_that_is_not_ours_is_rejected(listener_process):
    _, port = listener_process()
    result = dcmtk("echoscu", port, aec="SOMEONE_ELSE")
    assert result.returncode != 0
    assert "Called AE Title Not Recognized" in result.stdout + result.stderr
    assert dcmtk("storescu", port, sample_path("CT_small.dcm")).returncode == 0
