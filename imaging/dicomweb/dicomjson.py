"""DICOM JSON (PS3.18 F.2) for the index rows QIDO answers and the metadata WADO answers."""

from __future__ import annotations

from pydicom import datadict
from pydicom.dataset import Dataset


def attribute(keyword: str, value) -> tuple[str, dict]:
    """One attribute as ``("0020000D", {"vr": "UI", "Value": [...]})``; empty → no Value."""
    tag = datadict.tag_for_keyword(keyword)
    vr = datadict.dictionary_VR(tag)
    entry: dict = {"vr": vr}
    values = value if isinstance(value, list) else [value]
    values = [v for v in values if v not in (None, "")]
    if values:
        if vr == "PN":
            values = [_person_name(str(v)) for v in values]
        elif vr in ("IS", "US", "UL", "SL", "SS"):
            values = [int(v) for v in values]
        entry["Value"] = values
    return f"{tag:08X}", entry


def _person_name(value: str) -> dict:
    """PS3.18 F.2.2: a PN's component groups as Alphabetic, Ideographic, Phonetic."""
    groups = zip(("Alphabetic", "Ideographic", "Phonetic"), value.split("=")[:3], strict=False)
    return {name: group for name, group in groups if group}


def dataset(**attributes) -> dict:
    return dict(attribute(keyword, value) for keyword, value in attributes.items())


def metadata(ds: Dataset, bulk_uri: str) -> dict:
    """The instance's attributes without its pixel data, which is referenced by URI."""
    pixels = "PixelData" in ds
    if pixels:
        ds = ds.copy()
        del ds.PixelData
    out = ds.to_json_dict(bulk_data_threshold=1 << 30)
    if pixels:
        out["7FE00010"] = {"vr": "OW", "BulkDataURI": bulk_uri}
    return out
