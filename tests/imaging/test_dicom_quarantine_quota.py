"""One association cannot fill the quarantine: its rows are capped like a STOW request's."""

from __future__ import annotations

import pytest
from pynetdicom import AE
from pynetdicom.sop_class import CTImageStorage

from imaging.dicom_handlers import start_listener
from imaging.models import QuarantinedItem
from tests.conftest import free_port
from tests.imaging.dicomfiles import synthetic

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_refused_instances_of_one_association_make_at_most_the_quota_of_rows(scanner,
                                                                             settings):
    settings.IMAGING_MAX_QUARANTINE_PER_REQUEST = 2
    port = free_port()
    server = start_listener("CLOUDHOSPITAL", "127.0.0.1", port)
    try:
        ae = AE(ae_title="CT_A")
        ae.add_requested_context(CTImageStorage)
        assoc = ae.associate("127.0.0.1", port, ae_title="CLOUDHOSPITAL")
        assert assoc.is_established
        statuses = []
        for _ in range(4):
            bad = synthetic()
            bad.Rows = 65  # Pixel Data no longer matches: quarantined (pixel_mismatch)
            statuses.append(assoc.send_c_store(bad).Status)
        assoc.release()
    finally:
        server.shutdown()
    assert statuses == [0xC000] * 4  # every refusal is still answered
    assert QuarantinedItem.objects.count() == 2
