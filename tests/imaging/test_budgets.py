"""Budgets before work at ingest: tiny files claiming huge images are quarantined with the
limit's name, never decoded, and the process does not grow by what they claim."""

from __future__ import annotations

import struct

import pytest

from imaging import budget, store
from imaging.ingest import QUARANTINED, ingest_instance
from imaging.models import Instance, QuarantinedItem
from tests.imaging import hostile
from tests.imaging.dicomfiles import encode, sample, synthetic

MiB = hostile.MiB


def ingest(world, data):
    return ingest_instance(data, institution=world.centre_a, source="upload", sender="alice")


def test_a_deflated_data_set_of_zeros_is_refused_while_inflating(world):
    """12288 x 12288 x 16 bits of zeros (288 MiB) deflate to a few hundred KB."""
    data = hostile.deflated_zeros(12288, 12288)
    assert len(data) < 1 * MiB
    with hostile.peak_rss_growth() as growth:
        outcome = ingest(world, data)
    assert outcome.status == QUARANTINED and outcome.reason == "over_budget"
    assert "IMAGING_MAX_DECODED_BYTES" in outcome.message
    assert growth() < 64 * MiB
    item = QuarantinedItem.objects.get()
    assert item.reason == "over_budget" and store.get(item.blob_key, "quarantine") == data


def test_a_deflated_data_set_within_the_budget_is_still_stored(world, settings):
    settings.IMAGING_MAX_DECODED_BYTES = 4 * MiB
    outcome = ingest(world, sample("image_dfl.dcm"))
    assert outcome.ok, outcome.message


def test_an_rle_file_whose_segments_cannot_hold_the_claimed_image_is_never_decoded(world):
    data = hostile.rle_bogus(16384, 16384)
    assert len(data) < 2048
    with hostile.peak_rss_growth() as growth:
        outcome = ingest(world, data)
    assert outcome.status == QUARANTINED and outcome.reason == "pixel_mismatch"
    assert "RLE segment" in outcome.message
    assert growth() < 32 * MiB


def test_declared_pixel_size_over_the_budget_is_quarantined_before_any_decode(world):
    """32768 x 32768 x 8 bits = 1 GiB claimed by a 1 KB RLE file."""
    outcome = ingest(world, hostile.rle_bogus(32768, 32768))
    assert outcome.reason == "over_budget"
    assert "IMAGING_MAX_DECODED_BYTES (268435456 bytes)" in outcome.message


def test_frames_count_in_the_decoded_size(world, settings):
    settings.IMAGING_MAX_DECODED_BYTES = 64 * 64 * 2 * 3 - 1
    outcome = ingest(world, encode(synthetic(frames=3)))
    assert outcome.reason == "over_budget" and "3 frames" in outcome.message
    settings.IMAGING_MAX_DECODED_BYTES = 64 * 64 * 2 * 3
    assert ingest(world, encode(synthetic(frames=3))).ok


def test_a_jpeg_whose_frame_header_claims_more_than_the_data_set_is_never_decoded(world):
    data = hostile.jpeg_with_header(64, 64, 60000, 60000)
    with hostile.peak_rss_growth() as growth:
        outcome = ingest(world, data)
    assert outcome.reason == "pixel_mismatch", outcome.message
    assert "60000x60000" in outcome.message
    assert growth() < 32 * MiB


def test_a_jpeg_claiming_a_huge_image_in_both_headers_is_over_budget(world):
    outcome = ingest(world, hostile.jpeg_with_header(60000, 60000, 60000, 60000))
    assert outcome.reason == "over_budget"


def test_a_sound_jpeg_is_stored(world):
    assert ingest(world, hostile.jpeg_with_header(64, 64, 64, 64)).ok


def test_a_jpeg_2000_whose_codestream_claims_another_size_is_never_decoded(world):
    outcome = ingest(world, hostile.j2k_with_header(40000, 40000))
    assert outcome.reason == "pixel_mismatch" and "40000x40000" in outcome.message


def test_a_jpeg_ls_frame_header_is_checked_too(world):
    import io

    import pydicom

    ds = pydicom.dcmread(io.BytesIO(sample("MR_small_jpeg_ls_lossless.dcm")))
    data = bytearray(ds.PixelData)
    sof = data.index(b"\xff\xf7")
    data[sof + 5:sof + 9] = struct.pack(">HH", 50000, 50000)
    ds.PixelData = bytes(data)
    outcome = ingest(world, encode(ds))
    assert outcome.reason == "pixel_mismatch" and "50000x50000" in outcome.message


def test_an_instance_over_the_instance_limit_is_quarantined_unparsed(world, settings):
    data = sample("CT_small.dcm")
    settings.IMAGING_MAX_INSTANCE_BYTES = len(data) - 1
    outcome = ingest(world, data)
    assert outcome.reason == "over_budget" and "IMAGING_MAX_INSTANCE_BYTES" in outcome.message
    assert not Instance.objects.exists()


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "SC_rgb_rle_16bit_2frame.dcm",
                                  "JPEG2000.dcm", "MR_small_jp2klossless.dcm",
                                  "SC_rgb_jpeg_dcmtk.dcm", "JPGExtended.dcm",
                                  "MR_small_jpeg_ls_lossless.dcm", "SC_rgb_jpeg_gdcm.dcm"])
def test_real_compressed_files_pass_the_header_checks(world, name):
    assert ingest(world, sample(name)).ok


def test_the_inflate_check_stops_at_the_limit(settings):
    import zlib

    settings.IMAGING_MAX_DECODED_BYTES = 10 * MiB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = compressor.compress(bytes(11 * MiB)) + compressor.flush()
    with pytest.raises(budget.OverBudget, match="IMAGING_MAX_DECODED_BYTES"):
        budget.check_inflated_size(stream)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = compressor.compress(bytes(10 * MiB)) + compressor.flush()
    assert budget.check_inflated_size(stream) == 10 * MiB


@pytest.mark.parametrize(("header", "reason"), [
    (struct.pack("<16L", 2, 64, 100, *([0] * 13)), "2 segments"),
    (struct.pack("<16L", 1, 80, *([0] * 14)), "follow the header"),
    (struct.pack("<16L", 0, *([0] * 15)), "0 segments"),
])
def test_rle_headers_that_do_not_fit_are_refused(header, reason):
    with pytest.raises(budget.HeaderMismatch, match=reason):
        budget.check_rle_frame(header + bytes(200), 10, 10, 1, 8)
