"""The DICOM door: pynetdicom handlers for C-ECHO and C-STORE, and the listener.

- Association (PS3.8 §7.1): a calling AE title not registered to an institution
  (``RemoteAE``) is rejected with "calling AE title not recognised" (0x01, 0x01, 0x03);
  a called AE title other than ours with "called AE title not recognised" (pynetdicom's
  ``require_called_aet``).
- PDU length (PS3.8 §9.3): every PDU whose length field exceeds our Maximum Length
  Received (``DICOM_MAX_PDU_BYTES``) is refused before its body is read, association or
  not: an A-ABORT is sent and the connection closed.
- Verification (PS3.4 Annex A): C-ECHO answers Success.
- Storage (PS3.4 Annex B): each C-STORE goes through ``ingest.ingest_instance``; refused
  input answers 0xC000 "Cannot understand", 0x0122 "SOP Class not supported" or 0x0110
  "Processing failure" (conflicts), with the reason in Error Comment (PS3.7 Annex C).
"""

from __future__ import annotations

import logging
import socket
import struct
import threading

from django.conf import settings
from django.db import close_old_connections, connections
from pydicom.dataset import Dataset
from pynetdicom import AE, evt
from pynetdicom.sop_class import Verification
from pynetdicom.transport import AssociationSocket, RequestHandler, ThreadedAssociationServer

from imaging import ingest, validate
from imaging.models import RemoteAE, Source

log = logging.getLogger(__name__)

STATUS_SUCCESS = 0x0000
STATUS_PROCESSING_FAILURE = 0x0110
STATUS_OUT_OF_RESOURCES = 0xA700


def institution_for(ae_title: str):
    remote = (RemoteAE.objects.select_related("institution")
              .filter(ae_title=ae_title.strip(), active=True).first())
    return remote.institution if remote else None


def handle_requested(event) -> None:
    """Reject an association whose calling AE title is not registered (and active)."""
    assoc = event.assoc
    close_old_connections()
    calling = assoc.requestor.primitive.calling_ae_title  # ae_title is set only later
    institution = institution_for(calling)
    if institution is None:
        log.warning("rejected association from unregistered AE %r at %s", calling,
                    assoc.requestor.address)
        assoc.acse.send_reject(0x01, 0x01, 0x03)
        assoc.kill()  # as pynetdicom's own rejections do: flush the A-ASSOCIATE-RJ, then stop
        connections.close_all()
        return
    assoc.cloudhospital_institution = institution
    assoc.cloudhospital_quota = ingest.QuarantineQuota()  # rows per association


def handle_ended(event) -> None:
    """Each association runs in its own thread with its own database connection: close it
    when the association ends, or a long-running listener leaks connections."""
    connections.close_all()


def handle_echo(event) -> int:
    return STATUS_SUCCESS


def handle_store(event) -> Dataset | int:
    """Ingest one instance; the status carries the quarantine reason on failure."""
    assoc = event.assoc
    institution = getattr(assoc, "cloudhospital_institution", None)
    if institution is None:  # cannot happen after handle_requested, but never store unowned
        return _status(STATUS_PROCESSING_FAILURE, "calling AE is not registered")
    close_old_connections()
    try:
        data = event.encoded_dataset(include_meta=True)
        outcome = ingest.ingest_instance(data, institution=institution, source=Source.DIMSE,
                                         sender=assoc.requestor.ae_title.strip(),
                                         quota=getattr(assoc, "cloudhospital_quota", None))
    except OSError as exc:
        log.exception("could not store an instance")
        return _status(STATUS_OUT_OF_RESOURCES, f"storage failed: {exc.strerror or exc}")
    if outcome.ok:
        return STATUS_SUCCESS
    return _status(ingest.failure_status(outcome.reason), f"{outcome.reason}: {outcome.message}")


def _status(code: int, comment: str) -> Dataset:
    status = Dataset()
    status.Status = code
    status.ErrorComment = comment[:64]  # LO, 64 characters
    return status


HANDLERS = [(evt.EVT_REQUESTED, handle_requested), (evt.EVT_C_ECHO, handle_echo),
            (evt.EVT_C_STORE, handle_store), (evt.EVT_RELEASED, handle_ended),
            (evt.EVT_ABORTED, handle_ended)]


# A-ABORT (PS3.8 §9.3.8): source 2 (service provider), reason 6 (invalid PDU parameter).
A_ABORT_INVALID_PDU = bytes([0x07, 0, 0, 0, 0, 4, 0, 0, 2, 6])
# An A-ASSOCIATE-RQ is not bounded by the Maximum Length we advertise (the peer has not
# seen it yet); 64 KiB holds well over a hundred presentation contexts.
ASSOCIATE_PDU_FLOOR = 64 * 1024


def pdu_limit() -> int:
    return max(settings.DICOM_MAX_PDU_BYTES, ASSOCIATE_PDU_FLOOR)


class BoundedAssociationSocket(AssociationSocket):
    """pynetdicom's DUL reads a PDU as ``recv(6)`` (type, reserved, length), then
    ``recv(length)``, growing a buffer for as long as the peer keeps sending, up to the
    4 GiB the length field allows. Here a read longer than our limit is refused before a
    byte of it is taken: an A-ABORT goes out, the connection is shut, and the DUL sees a
    closed transport (Evt17), before or after association alike."""

    max_read = 0
    _pdu_type: int | None = None  # set between a PDU's header read and its body read
    _dataset_bytes = 0  # data fragments of the DIMSE message being received

    def recv(self, nr_bytes: int) -> bytearray:
        header = self._pdu_type is None
        if not header and nr_bytes > self.max_read:
            self._refuse(f"a PDU of {nr_bytes} bytes exceeds DICOM_MAX_PDU_BYTES "
                         f"({self.max_read})")
        data = super().recv(nr_bytes)
        if header:
            self._pdu_type = data[0] if len(data) == 6 else None
        else:
            if self._pdu_type == 0x04:
                self._count_data_fragments(data)
            self._pdu_type = None
        return data

    def _count_data_fragments(self, body: bytes) -> None:
        """P-DATA-TF items (PS3.8 §9.3.5.1): 4-byte length, context ID, control header
        (bit 0 command, bit 1 last fragment). A data set is refused once its fragments pass
        IMAGING_MAX_INSTANCE_BYTES, not after pynetdicom has gathered all of it."""
        pos = 0
        while pos + 6 <= len(body):
            (length,) = struct.unpack(">L", body[pos:pos + 4])
            control = body[pos + 5]
            if not control & 1:
                self._dataset_bytes += max(length - 2, 0)
                if self._dataset_bytes > settings.IMAGING_MAX_INSTANCE_BYTES:
                    self._refuse("a C-STORE data set exceeds IMAGING_MAX_INSTANCE_BYTES "
                                 f"({settings.IMAGING_MAX_INSTANCE_BYTES})")
                if control & 2:
                    self._dataset_bytes = 0
            pos += 4 + length

    def _refuse(self, why: str):
        log.warning("refused DICOM input from %s: %s",
                    getattr(self.assoc.requestor, "address", "?"), why)
        try:
            self.socket.sendall(A_ABORT_INVALID_PDU)
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise OSError(why)


class BoundedRequestHandler(RequestHandler):
    """Gives each accepted association the bounded socket (pynetdicom's own request handler
    creates a plain ``AssociationSocket``; the server takes ``request_handler``)."""

    def _create_association(self):
        assoc = super()._create_association()
        sock = assoc.dul.socket
        sock.__class__ = BoundedAssociationSocket  # same state; only recv() is bounded
        sock.max_read = pdu_limit()
        return assoc


class NoDelayAssociationServer(ThreadedAssociationServer):
    """Accepted sockets get TCP_NODELAY: with Nagle and delayed ACK, small DIMSE PDUs on
    loopback wait ~40 ms each, capping C-STORE at ~21 instances/s."""

    def get_request(self):
        client, address = super().get_request()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return client, address


def make_ae(ae_title: str) -> AE:
    ae = AE(ae_title=ae_title)
    # Advertised as our Maximum Length Received, so conforming senders split to fit; the
    # bounded socket refuses any PDU that does not.
    ae.maximum_pdu_size = settings.DICOM_MAX_PDU_BYTES
    ae.require_called_aet = True
    ae.add_supported_context(Verification)
    for abstract in validate.STORAGE_CLASSES:
        ae.add_supported_context(abstract, list(validate.TRANSFER_SYNTAXES))
    return ae


def start_listener(ae_title: str, host: str, port: int) -> ThreadedAssociationServer:
    """Start serving in a background thread; call ``shutdown()`` on the result to stop."""
    ae = make_ae(ae_title)
    server = ae.make_server((host, port), evt_handlers=HANDLERS,
                            server_class=NoDelayAssociationServer,
                            request_handler=BoundedRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="dicom-listener", daemon=True)
    thread.start()
    ae._servers.append(server)
    log.info("DICOM listener %s on %s:%s", ae_title, host, port)
    return server
