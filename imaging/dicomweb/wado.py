"""WADO-RS (PS3.18 §10.4): instances as stored, metadata, frames; content negotiation.

Instances are returned exactly as stored (no transcoding). A request that names a
transfer syntax other than the stored one (or ``*``) is answered 406; a request with
no transfer-syntax parameter gets the stored bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

import pydicom
from django.conf import settings
from pydicom.encaps import generate_frames
from pydicom.uid import UID, ExplicitVRLittleEndian

from imaging import budget, store, validate
from imaging.dicomweb import dicomjson
from imaging.dicomweb.multipart import media_params
from imaging.models import Instance
from imaging.render import decode_frame

# Compressed frames in their own media type (PS3.18 Table 8.7.3-5).
FRAME_MEDIA = {
    "1.2.840.10008.1.2.4.50": "image/jpeg", "1.2.840.10008.1.2.4.51": "image/jpeg",
    "1.2.840.10008.1.2.4.57": "image/jpeg", "1.2.840.10008.1.2.4.70": "image/jpeg",
    "1.2.840.10008.1.2.4.80": "image/jls", "1.2.840.10008.1.2.4.81": "image/jls",
    "1.2.840.10008.1.2.4.90": "image/jp2", "1.2.840.10008.1.2.4.91": "image/jp2",
    "1.2.840.10008.1.2.5": "image/x-dicom-rle",
}


class NotAcceptable(Exception):
    pass


def accepted(accept: str) -> list[tuple[str, dict[str, str]]]:
    """The Accept header as (media type, params) pairs; multipart items by their type."""
    out = []
    for item in (accept or "*/*").split(","):
        if not item.strip():
            continue
        kind, params = media_params(item)
        if kind == "multipart/related":
            kind = params.get("type", "application/dicom").lower()
        out.append((kind, params))
    return out


def check_instances_acceptable(accept: str, instances: Iterable[Instance]) -> None:
    for kind, params in accepted(accept):
        if kind in ("application/dicom", "*/*", "*", "multipart/related"):
            wanted = params.get("transfer-syntax", "*")
            if wanted == "*" or all(i.transfer_syntax_uid == wanted for i in instances):
                return
    raise NotAcceptable("instances are returned as stored (no transcoding); accept "
                        'multipart/related; type="application/dicom" with the stored '
                        "transfer syntax or transfer-syntax=*")


def instance_parts(instances: list[Instance]) -> Iterator[tuple[str, bytes]]:
    """Decrypt lazily while streaming; every blob is checked first, because once the
    response has started a missing one could only cut it short."""
    for instance in instances:
        if not store.exists(instance.blob_key):
            raise store.BlobMissing(instance.blob_key)
    return _parts(instances)


def _parts(instances: list[Instance]) -> Iterator[tuple[str, bytes]]:
    for instance in instances:
        yield ("application/dicom; transfer-syntax=" + instance.transfer_syntax_uid,
               store.get(instance.blob_key))


def load(instance: Instance) -> pydicom.Dataset:
    return pydicom.dcmread(io.BytesIO(store.get(instance.blob_key)))


def metadata(instances: list[Instance], base_url: str) -> list[dict]:
    out = []
    for instance in instances:
        ds = load(instance)
        series = instance.series
        uri = (f"{base_url}/studies/{series.study.study_instance_uid}/series/"
               f"{series.series_instance_uid}/instances/{instance.sop_instance_uid}/frames/"
               + ",".join(str(n) for n in range(1, instance.number_of_frames + 1)))
        out.append(dicomjson.metadata(ds, uri))
    return out


def parse_frame_list(text: str, count: int) -> list[int]:
    """Frame numbers in the order asked, each once (``1,1,1,...`` is one frame), at most
    DICOMWEB_MAX_FRAMES_PER_REQUEST of them."""
    cap = settings.DICOMWEB_MAX_FRAMES_PER_REQUEST
    if text.count(",") >= max(cap, count) * 8:  # refuse a huge list before splitting it
        raise ValueError(f"more frames than DICOMWEB_MAX_FRAMES_PER_REQUEST ({cap})")
    try:
        numbers = list(dict.fromkeys(int(n) for n in text.split(",")))
    except ValueError as exc:
        raise ValueError("frame numbers must be integers, e.g. 1,2,3") from exc
    bad = [n for n in numbers if not 1 <= n <= count]
    if bad:
        raise LookupError(f"frame {bad[0]} does not exist (1-{count})")
    if len(numbers) > cap:
        raise ValueError(f"{len(numbers)} frames asked; DICOMWEB_MAX_FRAMES_PER_REQUEST "
                         f"is {cap}")
    return numbers


def check_frames_budget(instance: Instance, count: int) -> None:
    """Before loading: the data set held twice (inflated when native or Deflated) and each
    asked frame twice (decoded array and answer bytes), from the index (1 sample; the real
    Samples per Pixel is checked after parsing)."""
    frame = budget.decoded_bytes(instance.rows or 0, instance.columns or 0, 1,
                                 instance.bits_allocated or 8)
    native = instance.transfer_syntax_uid in validate.NATIVE_SYNTAXES
    whole = max(instance.size, frame * instance.number_of_frames) if native else instance.size
    cost = 2 * whole + 2 * count * frame
    if cost > budget.limit("IMAGING_MAX_DECODED_BYTES"):
        raise budget.OverBudget(f"these {count} frames would need about {cost} bytes, over "
                                f"IMAGING_MAX_DECODED_BYTES "
                                f"({budget.limit('IMAGING_MAX_DECODED_BYTES')} bytes)")


def frame_parts(instance: Instance, numbers: list[int], accept: str) -> list[tuple[str, bytes]]:
    """Each frame compressed as stored when its media type is accepted, else as raw
    little-endian pixel values (application/octet-stream)."""
    ds = load(instance)
    syntax = UID(instance.transfer_syntax_uid)
    kinds = {kind for kind, _ in accepted(accept)}
    native = FRAME_MEDIA.get(syntax)
    if native and native in kinds:
        frames = list(generate_frames(ds.PixelData, number_of_frames=instance.number_of_frames))
        return [(f"{native}; transfer-syntax={syntax}", frames[n - 1]) for n in numbers]
    if not kinds & {"application/octet-stream", "*/*", "*"}:
        raise NotAcceptable("frames are available as application/octet-stream"
                            + (f" or {native}" if native else ""))
    budget.check_decoded(int(ds.Rows), int(ds.Columns), int(ds.get("SamplesPerPixel", 1)),
                         int(ds.BitsAllocated), 2 * len(numbers))  # each as array and bytes
    parts = []
    for n in numbers:
        arr = decode_frame(ds, n - 1, raw=True)
        little = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        parts.append((f"application/octet-stream; transfer-syntax={ExplicitVRLittleEndian}",
                      little.tobytes()))
    return parts
