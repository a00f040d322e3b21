"""WADO-RS under hostile requests: repeated frames are served once, frame lists are capped,
and a frames or render answer whose decode would pass the budget is refused unloaded."""

from __future__ import annotations

import pytest

from imaging.ingest import ingest_instance
from tests.imaging import hostile
from tests.imaging.dicomfiles import encode, synthetic
from tests.imaging.test_dicomweb import body_of

MiB = hostile.MiB
OCTETS = 'multipart/related; type="application/octet-stream"'


def _stored(world, data):
    outcome = ingest_instance(data, institution=world.centre_a, source="upload")
    assert outcome.ok, outcome.message
    return outcome.instance


def _base(instance) -> str:
    series = instance.series
    return (f"/dicomweb/studies/{series.study.study_instance_uid}/series/"
            f"{series.series_instance_uid}/instances/{instance.sop_instance_uid}")


def _parts(response) -> int:
    body = body_of(response)
    boundary = response["Content-Type"].split("boundary=")[1].encode()
    return body.count(b"--" + boundary + b"\r\n")


def test_a_repeated_frame_is_decoded_and_sent_once(world, client_for):
    """``/frames/1,1,1,1,1,1,1,1`` of a Deflated 1024 x 1024 instance: one 1 MiB part, not 8."""
    instance = _stored(world, hostile.deflated_zeros(1024, 1024, bits=8))
    response = client_for(world.alice).get(_base(instance) + "/frames/" + ",".join("1" * 8),
                                           HTTP_ACCEPT=OCTETS)
    assert response.status_code == 200
    assert _parts(response) == 1


def test_frame_lists_longer_than_the_cap_are_refused(world, client_for, settings):
    instance = _stored(world, encode(synthetic(frames=3)))
    settings.DICOMWEB_MAX_FRAMES_PER_REQUEST = 2
    alice = client_for(world.alice)
    response = alice.get(_base(instance) + "/frames/1,2,3", HTTP_ACCEPT=OCTETS)
    assert response.status_code == 400
    assert "DICOMWEB_MAX_FRAMES_PER_REQUEST" in response.json()["message"]
    assert alice.get(_base(instance) + "/frames/1,2,2,1", HTTP_ACCEPT=OCTETS).status_code == 200
    huge = alice.get(_base(instance) + "/frames/" + ",".join(["1"] * 100000),
                     HTTP_ACCEPT=OCTETS)
    assert huge.status_code == 400


def test_frames_whose_decoded_size_passes_the_budget_are_refused(world, client_for,
                                                                 settings):
    instance = _stored(world, encode(synthetic(rows=512, columns=512, bits=8, frames=3,
                                               signed=False)))
    # about: the data set twice (6 frames' worth) + each asked frame twice
    settings.IMAGING_MAX_DECODED_BYTES = 512 * 512 * 11
    alice = client_for(world.alice)
    response = alice.get(_base(instance) + "/frames/1,2,3", HTTP_ACCEPT=OCTETS)
    assert response.status_code == 422 and response.json()["error"] == "over_budget"
    assert alice.get(_base(instance) + "/frames/1,2", HTTP_ACCEPT=OCTETS).status_code == 200


def test_a_render_whose_decode_would_pass_the_budget_is_refused_before_loading(
        world, client_for, settings):
    """A Deflated 4096 x 4096 instance (16 MiB of zeros in ~20 KB) under a 64 MiB budget:
    rendering would need ~200 MB, so /rendered answers 422 without inflating it."""
    instance = _stored(world, hostile.deflated_zeros(4096, 4096, bits=8))
    settings.IMAGING_MAX_DECODED_BYTES = 64 * MiB
    alice = client_for(world.alice)
    with hostile.peak_rss_growth() as growth:
        response = alice.get(_base(instance) + "/rendered")
    assert response.status_code == 422 and response.json()["error"] == "over_budget"
    assert "IMAGING_MAX_DECODED_BYTES" in response.json()["message"]
    assert growth() < 16 * MiB
    assert alice.get(_base(instance) + "/thumbnail").status_code == 422


def test_large_frames_are_rendered_no_larger_than_the_render_size(world, client_for,
                                                                 settings):
    import io

    from PIL import Image

    instance = _stored(world, encode(synthetic(rows=300, columns=200)))
    settings.IMAGING_MAX_RENDER_SIZE = 100
    alice = client_for(world.alice)
    response = alice.get(_base(instance) + "/rendered", HTTP_ACCEPT="image/png")
    assert response.status_code == 200
    assert max(Image.open(io.BytesIO(response.content)).size) <= 100
    too_big = alice.get(_base(instance) + "/rendered?viewport=101,50")
    assert too_big.status_code == 400 and "IMAGING_MAX_RENDER_SIZE" in too_big.json()["message"]


@pytest.mark.parametrize("frames", ["0", "4", "a", "1,,2"])
def test_bad_frame_numbers_are_still_4xx(world, client_for, frames):
    instance = _stored(world, encode(synthetic(frames=3)))
    response = client_for(world.alice).get(_base(instance) + "/frames/" + frames,
                                           HTTP_ACCEPT=OCTETS)
    assert response.status_code in (400, 404)
