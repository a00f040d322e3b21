"""QIDO-RS (PS3.18 §10.6): search studies, a study's series, a series' instances.

Matching follows PS3.4 C.2.2.2: single value, wildcard (``*`` and ``?``) for Patient's
Name and Patient ID, ranges for Study Date, list of UIDs (comma-separated). Keys may be
given by keyword or by tag (``00100010``). Results only ever come from
``sharing.visible_studies``.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext
from pydicom import datadict

from cloudhospital.core.errors import InvalidInput
from imaging.dicomweb.dicomjson import attribute
from imaging.models import Instance, Series, Study

MAX_LIMIT = 1000
# Optional attributes returned only when asked for with includefield (or "all").
STUDY_OPTIONAL = {"StudyDescription", "PatientBirthDate", "PatientSex", "InstitutionName"}
SERIES_OPTIONAL = {"SeriesDescription", "BodyPartExamined"}
INSTANCE_OPTIONAL = {"NumberOfFrames", "BitsAllocated"}


def _keyword(key: str) -> str:
    if re.fullmatch(r"[0-9A-Fa-f]{8}", key):
        return datadict.keyword_for_tag(int(key, 16)) or key
    return key


def normalise(params) -> dict[str, list[str]]:
    """Query parameters by keyword; each may repeat (values also split on commas)."""
    out: dict[str, list[str]] = {}
    for key in params:
        values = params.getlist(key) if hasattr(params, "getlist") else [params[key]]
        out.setdefault(_keyword(key), []).extend(values)
    return out


def _wildcard(field: str, value: str) -> Q:
    if "*" not in value and "?" not in value:
        return Q(**{field: value})
    pattern = "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                            for c in value) + "$"
    return Q(**{f"{field}__iregex": pattern})


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


def _uids(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _paging(query: dict[str, list[str]]) -> tuple[int, int]:
    try:
        limit = int(query.get("limit", [MAX_LIMIT])[0])
        offset = int(query.get("offset", [0])[0])
    except ValueError as exc:
        raise InvalidInput(gettext("limit and offset must be integers")) from exc
    if limit < 0 or offset < 0:
        raise InvalidInput(gettext("limit and offset must not be negative"))
    return min(limit, MAX_LIMIT), offset


def _included(query: dict[str, list[str]], optional: set[str]) -> set[str]:
    fields = {_keyword(f) for v in query.get("includefield", []) for f in v.split(",")}
    return optional if "all" in fields else fields & optional


def search_studies(studies: QuerySet[Study], query: dict[str, list[str]],
                   base_url: str) -> list[dict]:
    filters = Q()
    for value in query.get("PatientID", []):
        filters &= _wildcard("patient__patient_id", value)
    for value in query.get("PatientName", []):
        filters &= _wildcard("patient__patient_name", value)
    for value in query.get("StudyDate", []):
        filters &= _date_range(value)
    for value in query.get("AccessionNumber", []):
        filters &= _wildcard("accession_number", value)
    if query.get("StudyInstanceUID"):
        filters &= Q(study_instance_uid__in=_uids(query["StudyInstanceUID"]))
    if query.get("ModalitiesInStudy"):
        filters &= Q(series__modality__in=_uids(query["ModalitiesInStudy"]))
    limit, offset = _paging(query)
    rows = (studies.filter(filters).distinct().order_by("-study_date", "-id")
            .annotate(n_series=Count("series", distinct=True),
                      n_instances=Count("series__instances", distinct=True))
            [offset:offset + limit])
    rows = list(rows)
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
        filters &= Q(modality__in=_uids(query["Modality"]))
    if query.get("SeriesInstanceUID"):
        filters &= Q(series_instance_uid__in=_uids(query["SeriesInstanceUID"]))
    for value in query.get("SeriesNumber", []):
        filters &= Q(series_number=_int(value))
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
    filters = Q()
    if query.get("SOPInstanceUID"):
        filters &= Q(sop_instance_uid__in=_uids(query["SOPInstanceUID"]))
    if query.get("SOPClassUID"):
        filters &= Q(sop_class_uid__in=_uids(query["SOPClassUID"]))
    for value in query.get("InstanceNumber", []):
        filters &= Q(instance_number=_int(value))
    limit, offset = _paging(query)
    rows: list[Instance] = list(series.instances.filter(filters)
                                .order_by("instance_number", "id")[offset:offset + limit])
    include = _included(query, INSTANCE_OPTIONAL)
    study_uid = series.study.study_instance_uid
    url = f"{base_url}/studies/{study_uid}/series/{series.series_instance_uid}/instances"
    return [dict([
        attribute("SOPClassUID", i.sop_class_uid),
        attribute("SOPInstanceUID", i.sop_instance_uid),
        attribute("InstanceNumber", i.instance_number),
        attribute("Rows", i.rows),
        attribute("Columns", i.columns),
        attribute("StudyInstanceUID", study_uid),
        attribute("SeriesInstanceUID", series.series_instance_uid),
        attribute("Modality", series.modality),
        attribute("RetrieveURL", f"{url}/{i.sop_instance_uid}"),
    ] + [attribute(k, {"NumberOfFrames": i.number_of_frames,
                       "BitsAllocated": i.bits_allocated}[k]) for k in sorted(include)])
        for i in rows]


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput(gettext("%(value)s is not a number") % {"value": repr(value)}) from exc
