"""The DICOM door: pynetdicom handlers for C-ECHO and C-STORE, and the listener.

- Association (PS3.8 §7.1): a calling AE title not registered to an institution
  (``RemoteAE``) is rejected with "calling AE title not recognised" (0x01, 0x01, 0x03).
- Verification (PS3.4 Annex A): C-ECHO answers Success.
- Storage (PS3.4 Annex B): each C-STORE goes through ``ingest.ingest_instance``; refused
  input answers 0xC000 "Cannot understand", 0x0122 "SOP Class not supported" or 0x0110
  "Processing failure" (conflicts), with the reason in Error Comment (PS3.7 Annex C).
"""

from __future__ import annotations

import logging
import socket
import threading

from django.db import close_old_connections, connections
from pydicom.dataset import Dataset
from pynetdicom import AE, evt
from pynetdicom.sop_class import Verification
from pynetdicom.transport import ThreadedAssociationServer

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
                                         sender=assoc.requestor.ae_title.strip())
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


class NoDelayAssociationServer(ThreadedAssociationServer):
    """Accepted sockets get TCP_NODELAY: with Nagle and delayed ACK, small DIMSE PDUs on
    loopback wait ~40 ms each, capping C-STORE at ~21 instances/s."""

    def get_request(self):
        client, address = super().get_request()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return client, address


def make_ae(ae_title: str) -> AE:
    ae = AE(ae_title=ae_title)
    ae.maximum_pdu_size = 0  # no limit: fewer, larger PDUs
    ae.add_supported_context(Verification)
    for abstract in validate.STORAGE_CLASSES:
        ae.add_supported_context(abstract, list(validate.TRANSFER_SYNTAXES))
    return ae


def start_listener(ae_title: str, host: str, port: int) -> ThreadedAssociationServer:
    """Start serving in a background thread; call ``shutdown()`` on the result to stop."""
    ae = make_ae(ae_title)
    server = ae.make_server((host, port), evt_handlers=HANDLERS,
                            server_class=NoDelayAssociationServer)
    thread = threading.Thread(target=server.serve_forever, name="dicom-listener", daemon=True)
    thread.start()
    ae._servers.append(server)
    log.info("DICOM listener %s on %s:%s", ae_title, host, port)
    return server
