"""Rendering: modality LUT to HU, VOI windows (request, preset, file, distribution),
MONOCHROME1, bit depths and signedness, multi-frame, compressed and colour input."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image

from imaging.render import PRESETS, Options, RenderError, parse_options, render, to_image
from tests.imaging.dicomfiles import sample, synthetic


def pixels(ds, **options):
    return np.asarray(to_image(ds, Options(**options)))


def test_ct_window_works_in_hounsfield_units():
    stored = np.array([[0, 1024 - 160, 1024 + 40, 1024 + 240, 2000]], dtype=np.int16)
    ds = synthetic(rows=1, columns=5, pixels=stored, rescale=(1.0, -1024.0))
    out = pixels(ds, preset="mediastinum")  # 40/400: -160 HU → 0, 40 HU → mid, 240 → 255
    assert out[0, 0] == 0 and out[0, 1] == 0
    assert 126 <= out[0, 2] <= 129
    assert out[0, 3] == 255 and out[0, 4] == 255


def test_presets_are_the_standard_ones():
    assert PRESETS == {"lung": (-600, 1500), "mediastinum": (40, 400), "bone": (400, 1800),
                       "brain": (40, 80), "soft_tissue": (50, 350)}


def test_the_file_window_is_the_default_and_a_request_overrides_it():
    ramp = np.arange(0, 2048, 32, dtype=np.int16).reshape(8, 8)
    ds = synthetic(rows=8, columns=8, pixels=ramp, window=(0, 100), rescale=(1.0, -1024.0))
    narrow = pixels(ds)
    assert (narrow == 0).sum() > 10 and (narrow == 255).sum() > 10
    wide = pixels(ds, window=(1000, 8000))
    assert 0 < wide.min() and wide.max() < 255


def test_mr_is_windowed_from_its_pixel_distribution():
    ds = pydicom.dcmread(io.BytesIO(sample("MR_small.dcm")))
    out = pixels(ds)
    assert out.min() == 0 and out.max() == 255 and len(np.unique(out)) > 100


def test_monochrome1_is_inverted():
    ramp = np.arange(64, dtype=np.uint16).reshape(8, 8) * 10
    mono2 = synthetic(rows=8, columns=8, pixels=ramp, signed=False, rescale=None,
                      window=(320, 640))
    mono1 = synthetic(rows=8, columns=8, pixels=ramp, signed=False, rescale=None,
                      window=(320, 640), photometric="MONOCHROME1")
    assert np.array_equal(pixels(mono1), 255 - pixels(mono2))


@pytest.mark.parametrize(("bits", "signed", "dtype", "high"),
                         [(8, False, np.uint8, 255), (16, False, np.uint16, 4095),
                          (16, True, np.int16, 2047)])
def test_bit_depths_and_signedness(bits, signed, dtype, high):
    low = -2048 if signed else 0
    values = np.linspace(low, high, 64).astype(dtype).reshape(8, 8)
    ds = synthetic(rows=8, columns=8, pixels=values, bits=bits, signed=signed, rescale=None)
    if bits == 16:
        ds.BitsStored, ds.HighBit = 12, 11
    out = pixels(ds, window=((low + high) / 2, high - low))
    assert out[0, 0] == 0 and out[-1, -1] == 255
    assert np.all(np.diff(out.ravel().astype(int)) >= 0)  # monotonic


def test_multi_frame_renders_each_frame():
    frames = np.stack([np.full((8, 8), v, dtype=np.int16) for v in (0, 1000, 2000)])
    ds = synthetic(rows=8, columns=8, frames=3, pixels=frames, rescale=None)
    levels = [int(pixels(ds, frame=n, window=(1000, 2001))[0, 0]) for n in range(3)]
    assert levels[0] < levels[1] < levels[2]
    with pytest.raises(RenderError):
        pixels(ds, frame=3)


@pytest.mark.parametrize("name", [
    "JPEG2000.dcm", "MR_small_jp2klossless.dcm", "MR_small_RLE.dcm",
    "MR_small_jpeg_ls_lossless.dcm", "JPEGLSNearLossless_16.dcm", "SC_rgb_jpeg_dcmtk.dcm",
    "JPGExtended.dcm", "SC_rgb_jpeg_gdcm.dcm", "SC_rgb_rle_16bit_2frame.dcm",
    "MR_small_bigendian.dcm"])
def test_compressed_and_colour_instances_render(name):
    ds = pydicom.dcmread(io.BytesIO(sample(name)))
    image = Image.open(io.BytesIO(render(ds, Options(fmt="png"))))
    assert image.size == (ds.Columns, ds.Rows)
    assert image.mode == ("RGB" if ds.SamplesPerPixel == 3 else "L")


def test_parameters_are_validated():
    assert parse_options({"window": "40,400", "viewport": "256,256"}, fmt="png").window == (
        40.0, 400.0)
    for bad in ({"window": "40"}, {"window": "40,0"}, {"viewport": "0,10"},
                {"viewport": "a,b"}, {"preset": "liver"}, {"quality": "x"}):
        with pytest.raises(RenderError):
            parse_options(bad, fmt="png")


def test_enhanced_multi_frame_uses_its_functional_groups():
    """Enhanced CT keeps Rescale and the window per frame or shared, not at the top."""
    from pydicom.dataset import Dataset
    from pynetdicom.sop_class import EnhancedCTImageStorage

    frames = np.stack([np.full((4, 4), v, dtype=np.int16) for v in (1064, 824, 1064)])
    ds = synthetic(rows=4, columns=4, frames=3, pixels=frames, rescale=None)
    ds.SOPClassUID = EnhancedCTImageStorage
    transform, voi = Dataset(), Dataset()
    transform.RescaleSlope, transform.RescaleIntercept = 1, -1024
    voi.WindowCenter, voi.WindowWidth = 40, 400
    shared = Dataset()
    shared.PixelValueTransformationSequence = [transform]
    shared.FrameVOILUTSequence = [voi]
    ds.SharedFunctionalGroupsSequence = [shared]
    own = Dataset()
    own_voi = Dataset()
    own_voi.WindowCenter, own_voi.WindowWidth = 1000, 100
    own.FrameVOILUTSequence = [own_voi]
    ds.PerFrameFunctionalGroupsSequence = [Dataset(), Dataset(), own]
    assert 126 <= pixels(ds, frame=0)[0, 0] <= 129  # 40 HU at the centre of 40/400
    assert pixels(ds, frame=1)[0, 0] == 0  # -200 HU is below 40/400
    assert pixels(ds, frame=2)[0, 0] == 0  # its own window 1000/100 puts 40 HU at 0
