"""Pixel data → windowed 8-bit image (PNG or JPEG), as DICOMweb /rendered and the viewer use.

The pipeline follows the DICOM grayscale display chain (PS3.3 C.11): modality LUT
(Rescale Slope/Intercept, so CT values are Hounsfield units) → VOI LUT (a window from the
request, a named preset, the file, or for files without one the pixel distribution) →
MONOCHROME1 inversion. Colour images are passed through unwindowed.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
import pydicom
from django.conf import settings
from django.core.cache import cache
from PIL import Image
from pydicom.pixels import apply_rescale, pixel_array
from pydicom.uid import UID

from imaging import budget

PRESETS: dict[str, tuple[float, float]] = {
    "lung": (-600.0, 1500.0),
    "mediastinum": (40.0, 400.0),
    "bone": (400.0, 1800.0),
    "brain": (40.0, 80.0),
    "soft_tissue": (50.0, 350.0),
}
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg"}
CACHE_SECONDS = 3600
CACHE_MAX_BYTES = 4 << 20


class RenderError(ValueError):
    """A rendering parameter is invalid (answered 400)."""


class Undecodable(Exception):
    """The stored pixel data cannot be decoded (answered 422, never 500)."""


def decode_frame(ds, frame: int, **kwargs) -> np.ndarray:
    """One frame's pixels; any decoder failure becomes ``Undecodable``."""
    try:
        return pixel_array(ds, index=frame if frame_count(ds) > 1 else None, **kwargs)
    except Exception as exc:  # the decoders (pylibjpeg, openjpeg, jpeg-ls) raise many types
        raise Undecodable(f"frame {frame + 1} cannot be decoded: {exc}") from exc


@dataclass(frozen=True)
class Options:
    frame: int = 0
    window: tuple[float, float] | None = None
    preset: str = ""
    viewport: tuple[int, int] | None = None
    fmt: str = "png"
    quality: int = 90

    def cache_key(self, blob_key: str) -> str:
        raw = f"{blob_key}|{self}".encode()
        return "imaging:render:" + hashlib.sha256(raw).hexdigest()


def parse_options(params, *, fmt: str, frame: int = 0) -> Options:
    """DICOMweb rendered query parameters: window=c,w[,fn], viewport=w,h, quality; preset."""
    window = None
    if params.get("window"):
        try:
            center, width = (float(v) for v in params["window"].split(",")[:2])
        except ValueError as exc:
            raise RenderError("window must be center,width") from exc
        if width < 1:
            raise RenderError("window width must be at least 1")
        window = (center, width)
    preset = params.get("preset", "")
    if preset and preset not in PRESETS:
        raise RenderError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    viewport = None
    if params.get("viewport"):
        try:
            vw, vh = (int(v) for v in params["viewport"].split(",")[:2])
        except ValueError as exc:
            raise RenderError("viewport must be width,height") from exc
        side = settings.IMAGING_MAX_RENDER_SIZE
        if not (1 <= vw <= side and 1 <= vh <= side):
            raise RenderError(f"viewport must be between 1 and {side} pixels "
                              "(IMAGING_MAX_RENDER_SIZE)")
        viewport = (vw, vh)
    try:
        quality = int(params.get("quality", 90))
    except ValueError as exc:
        raise RenderError("quality must be 1-100") from exc
    return Options(frame=frame, window=window, preset=preset, viewport=viewport, fmt=fmt,
                   quality=max(1, min(quality, 100)))


def check_budget(rows: int, columns: int, samples: int, bits: int, frames: int,
                 stored_size: int, compressed: bool) -> None:
    """Refuse, before loading anything, a render whose working memory would pass
    IMAGING_MAX_DECODED_BYTES: the data set held twice while decrypted and parsed (inflated
    when it is Deflated or native), one decoded frame, and ~9 bytes per shown pixel (float
    modality values and the 8-bit image), the shown image being at most
    IMAGING_MAX_RENDER_SIZE on a side (larger frames are subsampled before windowing)."""
    frame = budget.decoded_bytes(rows, columns, samples, bits)
    whole = stored_size if compressed else max(stored_size, frame * frames)
    side = settings.IMAGING_MAX_RENDER_SIZE
    shown = min(rows, side) * min(columns, side) * samples
    cost = 2 * whole + frame + 9 * shown
    if cost > budget.limit("IMAGING_MAX_DECODED_BYTES"):
        raise budget.OverBudget(f"rendering this {rows}x{columns} image would need about "
                                f"{cost} bytes, over IMAGING_MAX_DECODED_BYTES "
                                f"({budget.limit('IMAGING_MAX_DECODED_BYTES')} bytes)")


def _subsample(arr: np.ndarray) -> np.ndarray:
    """Every k-th row and column so that neither side passes IMAGING_MAX_RENDER_SIZE."""
    side = settings.IMAGING_MAX_RENDER_SIZE
    step = -(-max(arr.shape[0], arr.shape[1]) // side)
    return arr[::step, ::step] if step > 1 else arr


def frame_count(ds) -> int:
    return int(ds.get("NumberOfFrames", 1) or 1)


def modality_values(ds, frame: int) -> np.ndarray:
    """One frame in modality units (HU for CT), as float."""
    if not 0 <= frame < frame_count(ds):
        raise RenderError(f"frame {frame + 1} does not exist (1-{frame_count(ds)})")
    arr = _subsample(decode_frame(ds, frame))
    if ds.get("SamplesPerPixel", 1) != 1:
        return arr
    if "RescaleSlope" in ds or "ModalityLUTSequence" in ds:
        return apply_rescale(arr, ds).astype(np.float64)
    slope = functional(ds, frame, "PixelValueTransformationSequence", "RescaleSlope")
    intercept = functional(ds, frame, "PixelValueTransformationSequence", "RescaleIntercept")
    arr = arr.astype(np.float64)
    if slope is not None or intercept is not None:  # Enhanced CT/MR keep them per frame
        arr = arr * float(slope if slope is not None else 1) + float(intercept or 0)
    return arr


def functional(ds, frame: int, sequence: str, keyword: str):
    """An attribute of a multi-frame functional group (PS3.3 C.7.6.16): the frame's own
    value if it has one, else the shared one."""
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    groups = []
    if per_frame and frame < len(per_frame):
        groups.append(per_frame[frame])
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        groups.append(shared[0])
    for group in groups:
        items = group.get(sequence)
        if items and keyword in items[0]:
            return items[0].get(keyword)
    return None


def choose_window(ds, values: np.ndarray, options: Options) -> tuple[float, float]:
    if options.window:
        return options.window
    if options.preset:
        return PRESETS[options.preset]
    center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    if center is None or width is None:
        center = functional(ds, options.frame, "FrameVOILUTSequence", "WindowCenter")
        width = functional(ds, options.frame, "FrameVOILUTSequence", "WindowWidth")
    if center is not None and width is not None and ds.get("Modality") != "MR":
        if _first(width) >= 1:
            return _first(center), _first(width)
    # MR (and files without a window): the 0.5-99.5 percentile range of this frame.
    low, high = np.percentile(values, [0.5, 99.5])
    if high <= low:
        low, high = float(values.min()), float(values.max()) + 1
    return (low + high) / 2, max(high - low, 1.0)


def _first(value) -> float:
    """Window Center/Width may hold several windows; the first is the default one."""
    return float(value[0]) if isinstance(value, pydicom.multival.MultiValue) else float(value)


def window_to_8bit(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """The linear VOI function of PS3.3 C.11.2.1.2.1, onto 0-255."""
    scaled = ((values - (center - 0.5)) / (width - 1 if width > 1 else 1) + 0.5) * 255
    return np.clip(scaled, 0, 255).astype(np.uint8)


def to_image(ds, options: Options) -> Image.Image:
    values = modality_values(ds, options.frame)
    if values.ndim == 3:  # colour (pixel_array already converted YBR to RGB)
        pixels = values if values.dtype == np.uint8 else np.clip(values, 0, 255).astype(
            np.uint8)
        image = Image.fromarray(pixels, "RGB")
    else:
        center, width = choose_window(ds, values, options)
        pixels = window_to_8bit(values, center, width)
        if ds.get("PhotometricInterpretation") == "MONOCHROME1":
            pixels = 255 - pixels
        image = Image.fromarray(pixels, "L")
    if options.viewport:  # fit inside the viewport, aspect ratio kept (PS3.18 8.3.5.1.3)
        scale = min(options.viewport[0] / image.width, options.viewport[1] / image.height)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def render(ds, options: Options) -> bytes:
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    check_budget(int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0),
                 int(ds.get("SamplesPerPixel", 1) or 1), int(ds.get("BitsAllocated", 8) or 8),
                 frame_count(ds), 0, bool(syntax) and UID(syntax).is_compressed)
    image = to_image(ds, options)
    out = io.BytesIO()
    if options.fmt == "jpeg":
        image.save(out, "JPEG", quality=options.quality)
    else:
        image.save(out, "PNG", optimize=False)
    return out.getvalue()


def render_cached(blob_key: str, load, options: Options) -> bytes:
    """``render`` through the cache: ``load()`` is called (decrypt + parse) only on a miss."""
    key = options.cache_key(blob_key)
    data = cache.get(key)
    if data is None:
        data = render(load(), options)
        if len(data) <= CACHE_MAX_BYTES:
            cache.set(key, data, CACHE_SECONDS)
    return data
