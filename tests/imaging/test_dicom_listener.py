"""The DICOM door with real dcmtk peers (echoscu, storescu) against the real listener."""

from __future__ import annotations

import io
import socket
import subprocess

import numpy as np
import pydicom
import pytest
from pynetdicom import AE
from pynetdicom.sop_class import Verification

from imaging import store
from imaging.dicom_handlers import start_listener
from imaging.models import Instance, QuarantinedItem, Study
from tests.conftest import free_port
from tests.imaging.dicomfiles import encode, sample_path, synthetic

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def listener(scanner):
    port = free_port()
    server = start_listener("CLOUDHOSPITAL", "127.0.0.1", port)
    yield port
    server.shutdown()


def dcmtk(tool, port, *args, aet="CT_A"):
    return subprocess.run([tool, "-aet", aet, "-aec", "CLOUDHOSPITAL", "127.0.0.1", str(port),
                           *args], capture_output=True, text=True, timeout=60)


def test_echoscu_from_a_registered_ae_succeeds(listener):
    result = dcmtk("echoscu", listener)
    assert result.returncode == 0, result.stderr


def test_an_unregistered_ae_is_rejected_at_association(listener):
    result = dcmtk("storescu", listener, sample_path("CT_small.dcm"), aet="STRANGER")
    assert result.returncode != 0
    assert "Calling AE Title Not Recognized" in result.stdout + result.stderr
    assert not Instance.objects.exists() and not QuarantinedItem.objects.exists()


def test_an_inactive_ae_is_rejected(listener, scanner):
    scanner.active = False
    scanner.save()
    assert dcmtk("echoscu", listener).returncode != 0


@pytest.mark.parametrize(("name", "propose"), [
    ("CT_small.dcm", "-xe"), ("MR_small.dcm", "-xe"), ("MR_small_RLE.dcm", "-xr"),
    ("MR_small_jpeg_ls_lossless.dcm", "-xt"), ("JPEG2000.dcm", "-xw"),
    ("SC_rgb_jpeg_dcmtk.dcm", "-xy")])
def test_storescu_stores_ct_mr_and_compressed_instances(listener, world, name, propose):
    result = dcmtk("storescu", listener, "-R", propose, sample_path(name))
    assert result.returncode == 0, result.stdout + result.stderr
    instance = Instance.objects.select_related("series__study").get()
    assert instance.series.study.institution == world.centre_a
    assert instance.sender == "CT_A" and instance.source == "dimse"
    original = pydicom.dcmread(sample_path(name))
    stored = pydicom.dcmread(io.BytesIO(store.get(instance.blob_key)))
    assert stored.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    padding = 0xFFFCFFFC  # Data Set Trailing Padding: dcmtk drops it, it carries nothing
    differing = [elem.tag for elem in original if elem.tag not in (padding, 0x7FE00010)
                 and stored.get(elem.tag) != elem]
    assert differing == []
    # dcmtk pads an odd-length compressed frame to even length; the pixels are the same
    assert np.array_equal(stored.pixel_array, original.pixel_array)
    assert {e.tag for e in stored} == {e.tag for e in original} - {padding}


def test_a_corrupt_instance_is_refused_with_its_reason(listener, tmp_path):
    ds = synthetic()
    ds.Rows = 70  # Pixel Data no longer matches Rows × Columns
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(encode(ds))
    result = dcmtk("storescu", listener, str(bad), "-d")
    output = result.stdout + result.stderr
    assert "0xc000" in output.lower() and "pixel_mismatch" in output
    assert not Study.objects.exists()
    item = QuarantinedItem.objects.get()
    assert item.reason == "pixel_mismatch" and item.sender == "CT_A"


def test_accepted_sockets_have_tcp_nodelay(scanner):
    port = free_port()
    server = start_listener("CLOUDHOSPITAL", "127.0.0.1", port)
    try:
        ae = AE(ae_title="CT_A")
        ae.add_requested_context(Verification)
        assoc = ae.associate("127.0.0.1", port, ae_title="CLOUDHOSPITAL")
        assert assoc.is_established
        accepted = server.active_associations[0].dul.socket.socket
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assoc.release()
    finally:
        server.shutdown()


def test_the_listener_command_stops_cleanly_on_sigterm(platform_server):
    """``manage.py dicom_listener`` (what runplatform starts) serves, then exits 0 on
    SIGTERM."""
    import signal
    import sys
    import time

    from tests.conftest import ROOT

    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "dicom_listener",
                             "--port", str(port)], env=platform_server.env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "DICOM listener" in proc.stdout.readline()
        deadline = time.monotonic() + 30
        while dcmtk("echoscu", port, aet="DEMO_CT").returncode != 0:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_concurrent_senders_of_the_same_series_store_each_instance_once(listener, tmp_path):
    """Three scanners' worth of associations race on the same new study, series and
    instances: every C-STORE succeeds, nothing is quarantined, nothing is doubled."""
    from tests.imaging.dicomfiles import series

    slices = series(15)
    for ds in slices:
        (tmp_path / f"{ds.InstanceNumber:02d}.dcm").write_bytes(encode(ds))
    procs = [subprocess.Popen(["storescu", "-aet", "CT_A", "-aec", "CLOUDHOSPITAL",
                               "127.0.0.1", str(listener), "-xe", "+sd", str(tmp_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(3)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    assert Instance.objects.count() == 15 and Study.objects.count() == 1
    assert not QuarantinedItem.objects.exists()
