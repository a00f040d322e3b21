"""Imaging fixtures: alice's centre owns the scanner AE ``CT_A``; a store per test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def image_store(tmp_path, settings):
    """Each test writes blobs under its own directory (the index is rolled back anyway)."""
    settings.IMAGE_STORE_DIR = tmp_path / "images"
    return settings.IMAGE_STORE_DIR


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
