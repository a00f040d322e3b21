"""Imaging fixtures: alice's centre owns the scanner AE ``CT_A``; a store per test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def image_store(tmp_path, settings):
    """Each test writes blobs under its own directory (the index is rolled back anyway)."""
    settings.IMAGE_STORE_DIR = tmp_path / "images"
    return settings.IMAGE_STORE_DIR


@pytest.fixture(autouse=True)
def imaging_work_on_the_test_thread(request, settings):
    """Unit tests keep their data in one transaction of the test thread's connection, which
    a pool thread's own connection cannot see; tests marked ``transaction=True`` (and the
    live ones) exercise the pool itself."""
    marker = request.node.get_closest_marker("django_db")
    settings.IMAGING_OFFLOAD = bool(marker and marker.kwargs.get("transaction"))


@pytest.fixture
def scanner(world):
    from imaging.models import RemoteAE

    return RemoteAE.objects.create(ae_title="CT_A", institution=world.centre_a)


@pytest.fixture
def ct_study(world):
    """Alice's centre sent a 3-slice synthetic CT series and pydicom's CT_small."""
    from imaging.ingest import ingest_instance
    from tests.imaging.dicomfiles import encode, sample, series

    slices = series(3, window=(40, 400))
    for ds in slices:
        ingest_instance(encode(ds), institution=world.centre_a, source="upload")
    ingest_instance(sample("CT_small.dcm"), institution=world.centre_a, source="upload")
    return slices
