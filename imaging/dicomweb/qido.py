"""QIDO-RS (PS3.18 §10.6): search studies, a study's series, a series' instances.

Matching follows PS3.4 C.2.2.2: single value, wildcard (``*`` and ``?``) for Patient's
Name, Patient ID and Accession Number, ranges for Study Date, list of UIDs
(comma-separated). Keys may be given by keyword or by tag (``00100010``). Results only
ever come from ``sharing.visible_studies``. Patient names and IDs are encrypted in the
index: ``imaging.patient_index`` finds them through keyed hashes and name-prefix tokens.
Every malformed key is a 400 (``InvalidInput``), never a database error.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext
from pydicom import datadict

from cloudhospital.core.errors import InvalidInput
from imaging.dicomweb.dicomjson import attribute
from imaging.dicomweb.matching import match_q
from imaging.models import Instance, Series, Study
from imaging.patient_filter import PatientFilter

MAX_LIMIT = 1000
# Paging and integer keys must fit a 32-bit signed column (SQLite and PostgreSQL would
# otherwise fail on the bound parameter: a 500 instead of a 400).
MAX_INT = 2**31 - 1
MAX_VALUE_CHARS = 324  # the longest Patient's Name (PN: 5 groups of 64, separators)
MAX_LIST_ITEMS = 200
UID = re.compile(r"[0-9]+(\.[0-9]+)*")
# Optional attributes returned only when asked for with includefield (or "all").
STUDY_OPTIONAL = {"StudyDescription", "PatientBirthDate", "PatientSex", "InstitutionName"}
SERIES_OPTIONAL = {"SeriesDescription", "BodyPartExamined"}
INSTANCE_OPTIONAL = {"NumberOfFrames", "BitsAllocated"}


def _keyword(key: str) -> str:
    if re.fullmatch(r"[0-9A-Fa-f]{8}", key):
        return datadict.keyword_for_tag(int(key, 16)) or key
    return key


def normalise(params) -> dict[str, list[str]]:
    """Query parameters by keyword; each may repeat (values also split on commas).

    A NUL byte anywhere is refused here: no DICOM value holds one, and PostgreSQL refuses
    it in text parameters."""
    out: dict[str, list[str]] = {}
    for key in params:
        values = params.getlist(key) if hasattr(params, "getlist") else [params[key]]
        if "\x00" in key or any("\x00" in v for v in values):
            raise InvalidInput("query parameters must not contain NUL bytes")
        out.setdefault(_keyword(key), []).extend(values)
    return out


PATIENT_KEYS = {"PatientName", "PatientID", "PatientBirthDate"}


def audited_query(params) -> str:
    """The query for the audit trail, with patient-identifying values replaced by a
    short keyed hash: the trail shows that a search named someone, and an auditor holding
    the key can check whom, but the database holds no name in clear."""
    from urllib.parse import urlencode

    from cloudhospital.security.crypto import lookup_hash

    pairs = []
    for key in params:
        for value in params.getlist(key):
            if _keyword(key) in PATIENT_KEYS:
                value = "hmac:" + lookup_hash(f"audit-query\x1f{value}")[:16]
            pairs.append((key, value))
    return urlencode(pairs)[:2000]


def check_uid(value: str, what: str = "UID") -> str:
    """PS3.5 §9.1: digits and dots, at most 64 characters, no empty component."""
    if len(value) > 64 or not UID.fullmatch(value):
        raise InvalidInput(f"{what} {value[:70]!r} is not a DICOM UID (digits and dots, "
                           "at most 64 characters)")
    return value


def _text(value: str, what: str) -> str:
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidInput(f"{what} is longer than {MAX_VALUE_CHARS} characters")
    return value


def _date(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value.replace("-", "").replace(".", ""),  # noqa: DTZ007
                                    "%Y%m%d").date()
    except ValueError as exc:
        raise InvalidInput(gettext("bad date %(value)s: use YYYYMMDD or a range A-B") %
                                   {"value": repr(value)}) from exc


def _date_range(value: str) -> Q:
    if "-" not in value:
        return Q(study_date=_date(value))
    start, _, end = value.partition("-")
    query = Q()
    if start:
        query &= Q(study_date__gte=_date(start))
    if end:
        query &= Q(study_date__lte=_date(end))
    return query


def _list(values: list[str]) -> list[str]:
    items = [v.strip() for value in values for v in value.split(",") if v.strip()]
    if len(items) > MAX_LIST_ITEMS:
        raise InvalidInput(f"at most {MAX_LIST_ITEMS} values in a list")
    return items


def _uids(values: list[str], what: str = "UID") -> list[str]:
    return [check_uid(v, what) for v in _list(values)]


def _paging(query: dict[str, list[str]]) -> tuple[int, int]:
    """``limit`` beyond MAX_LIMIT is cut to it (PS3.18 §8.3.4.4 lets the origin server
    return fewer); anything that is not an integer in 0..2**31-1 is refused."""
    limit = _int(query.get("limit", [str(MAX_LIMIT)])[0], "limit", minimum=0)
    offset = _int(query.get("offset", ["0"])[0], "offset", minimum=0)
    return min(limit, MAX_LIMIT), offset


def _included(query: dict[str, list[str]], optional: set[str]) -> set[str]:
    fields = {_keyword(f) for v in query.get("includefield", []) for f in v.split(",")}
    return optional if "all" in fields else fields & optional


def search_studies(studies: QuerySet[Study], query: dict[str, list[str]],
                   base_url: str) -> list[dict]:
    patients = PatientFilter(
        names=[_text(v, "PatientName") for v in query.get("PatientName", [])],
        ids=[_text(v, "PatientID") for v in query.get("PatientID", [])])
    filters = patients.sql
    for value in query.get("StudyDate", []):
        filters &= _date_range(value)
    for value in query.get("AccessionNumber", []):
        filters &= match_q("accession_number", _text(value, "AccessionNumber"))
    if query.get("StudyInstanceUID"):
        filters &= Q(study_instance_uid__in=_uids(query["StudyInstanceUID"],
                                                  "StudyInstanceUID"))
    if query.get("ModalitiesInStudy"):
        filters &= Q(series__modality__in=_list(query["ModalitiesInStudy"]))
    limit, offset = _paging(query)
    page = patients.filter_rows(studies.filter(filters).distinct().order_by("-study_date", "-id"),
                                offset, limit)
    counted = {s.pk: s for s in Study.objects.filter(pk__in=[s.pk for s in page]).annotate(
        n_series=Count("series", distinct=True),
        n_instances=Count("series__instances", distinct=True)).only("pk")}
    rows = page
    for s in rows:
        s.n_series, s.n_instances = counted[s.pk].n_series, counted[s.pk].n_instances
    modalities = _modalities([s.pk for s in rows])
    include = _included(query, STUDY_OPTIONAL)
    return [_study_json(s, modalities.get(s.pk, []), include, base_url) for s in rows]


def _modalities(study_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for study_id, modality in (Series.objects.filter(study_id__in=study_ids)
                               .values_list("study_id", "modality").distinct()):
        if modality and modality not in out.setdefault(study_id, []):
            out[study_id].append(modality)
    return out


def _study_json(s: Study, modalities: list[str], include: set[str], base_url: str) -> dict:
    optional = {"StudyDescription": s.study_description,
                "PatientBirthDate": s.patient.birth_date, "PatientSex": s.patient.sex,
                "InstitutionName": s.institution.name}
    items = [
        attribute("StudyDate", s.study_date.strftime("%Y%m%d") if s.study_date else ""),
        attribute("StudyTime", s.study_time),
        attribute("AccessionNumber", s.accession_number),
        attribute("ModalitiesInStudy", sorted(modalities)),
        attribute("ReferringPhysicianName", s.referring_physician),
        attribute("PatientName", s.patient.patient_name),
        attribute("PatientID", s.patient.patient_id),
        attribute("StudyInstanceUID", s.study_instance_uid),
        attribute("StudyID", s.study_id),
        attribute("NumberOfStudyRelatedSeries", s.n_series),
        attribute("NumberOfStudyRelatedInstances", s.n_instances),
        attribute("RetrieveURL", f"{base_url}/studies/{s.study_instance_uid}"),
    ] + [attribute(k, optional[k]) for k in sorted(include)]
    return dict(items)


def search_series(study: Study, query: dict[str, list[str]], base_url: str) -> list[dict]:
    filters = Q()
    if query.get("Modality"):
        filters &= Q(modality__in=_list(query["Modality"]))
    if query.get("SeriesInstanceUID"):
        filters &= Q(series_instance_uid__in=_uids(query["SeriesInstanceUID"],
                                                   "SeriesInstanceUID"))
    for value in query.get("SeriesNumber", []):
        filters &= Q(series_number=_int(value, "SeriesNumber"))
    limit, offset = _paging(query)
    rows = (study.series.filter(filters).annotate(n=Count("instances"))
            .order_by("series_number", "id")[offset:offset + limit])
    include = _included(query, SERIES_OPTIONAL)
    url = f"{base_url}/studies/{study.study_instance_uid}/series"
    return [dict([
        attribute("Modality", s.modality),
        attribute("SeriesInstanceUID", s.series_instance_uid),
        attribute("SeriesNumber", s.series_number),
        attribute("NumberOfSeriesRelatedInstances", s.n),
        attribute("StudyInstanceUID", study.study_instance_uid),
        attribute("RetrieveURL", f"{url}/{s.series_instance_uid}"),
    ] + [attribute(k, {"SeriesDescription": s.series_description,
                       "BodyPartExamined": s.body_part}[k]) for k in sorted(include)])
        for s in rows]


def search_instances(series: Series, query: dict[str, list[str]], base_url: str) -> list[dict]:
    """Search for Instances within a series (PS3.18 §10.6.1.2.3, series level)."""
    return _instances(series.instances.all(), series.study, query, base_url)


def search_study_instances(study: Study, query: dict[str, list[str]],
                           base_url: str) -> list[dict]:
    """Search for Instances within a study (``/studies/{study}/instances``), which
    dicomweb-client's ``search_for_instances(study_instance_uid=…)`` and OHIF use; series
    keys (Modality, SeriesInstanceUID, SeriesNumber) may narrow it."""
    instances = Instance.objects.filter(series__study=study)
    if query.get("Modality"):
        instances = instances.filter(series__modality__in=_list(query["Modality"]))
    if query.get("SeriesInstanceUID"):
        instances = instances.filter(series__series_instance_uid__in=_uids(
            query["SeriesInstanceUID"], "SeriesInstanceUID"))
    for value in query.get("SeriesNumber", []):
        instances = instances.filter(series__series_number=_int(value, "SeriesNumber"))
    return _instances(instances, study, query, base_url)


def _instances(instances: QuerySet[Instance], study: Study, query: dict[str, list[str]],
               base_url: str) -> list[dict]:
    filters = Q()
    if query.get("SOPInstanceUID"):
        filters &= Q(sop_instance_uid__in=_uids(query["SOPInstanceUID"], "SOPInstanceUID"))
    if query.get("SOPClassUID"):
        filters &= Q(sop_class_uid__in=_uids(query["SOPClassUID"], "SOPClassUID"))
    for value in query.get("InstanceNumber", []):
        filters &= Q(instance_number=_int(value, "InstanceNumber"))
    limit, offset = _paging(query)
    rows: list[Instance] = list(
        instances.filter(filters).select_related("series")
        .order_by("series__series_number", "series_id", "instance_number", "id")
        [offset:offset + limit])
    include = _included(query, INSTANCE_OPTIONAL)
    study_uid = study.study_instance_uid
    return [dict([
        attribute("SOPClassUID", i.sop_class_uid),
        attribute("SOPInstanceUID", i.sop_instance_uid),
        attribute("InstanceNumber", i.instance_number),
        attribute("Rows", i.rows),
        attribute("Columns", i.columns),
        attribute("StudyInstanceUID", study_uid),
        attribute("SeriesInstanceUID", i.series.series_instance_uid),
        attribute("Modality", i.series.modality),
        attribute("RetrieveURL", f"{base_url}/studies/{study_uid}/series/"
                                 f"{i.series.series_instance_uid}/instances/"
                                 f"{i.sop_instance_uid}"),
    ] + [attribute(k, {"NumberOfFrames": i.number_of_frames,
                       "BitsAllocated": i.bits_allocated}[k]) for k in sorted(include)])
        for i in rows]


def _int(value: str, what: str = "value", minimum: int = -MAX_INT - 1) -> int:
    text = value.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,12}", text, flags=re.ASCII):
        raise InvalidInput(gettext("%(what)s must be an integer, not %(value)s")
                           % {"what": what, "value": repr(value[:40])})
    number = int(text)
    if not minimum <= number <= MAX_INT:
        raise InvalidInput(gettext("%(what)s must be between %(min)d and %(max)d")
                           % {"what": what, "min": minimum, "max": MAX_INT})
    return number
