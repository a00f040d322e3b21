"""The patient keys of one QIDO search (``PatientName``, ``PatientID``) over the encrypted
index of ``imaging.patient_index``: SQL on keyed hashes and name tokens narrows, checks on
decrypted values decide. Apart from ``patient_index`` because it queries the token table,
which ``imaging.models`` builds from ``patient_index`` (no import cycle)."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.db.models import Q

from cloudhospital.core.errors import InvalidInput
from imaging import patient_index
from imaging.dicomweb.matching import glob_match, has_wildcard
from imaging.models import DicomPatientNameToken


class PatientFilter:
    """The patient keys of one QIDO search: SQL that narrows, and the checks that decide."""

    def __init__(self, names: list[str], ids: list[str]):
        # Full-width letters and wildcards (ＺＨＡＮＧ＊, as Chinese IMEs type) as ASCII.
        names = [unicodedata.normalize("NFKC", v) for v in names]
        ids = [unicodedata.normalize("NFKC", v) for v in ids]
        # "*" matches every value, empty ones included (viewers send it for "any"): no key.
        names = [v for v in names if v.strip("*")]
        ids = [v for v in ids if v.strip("*")]
        self.sql = Q()
        self.checks: list[tuple[str, str]] = []
        for value in ids:
            if has_wildcard(value):
                self.checks.append(("patient_id", value))
            else:
                self.sql &= Q(patient__patient_id_hash=patient_index.patient_id_hash(value))
        for value in names:
            if not has_wildcard(value):
                self.sql &= Q(patient__name_hash=patient_index.name_hash(value))
                continue
            literal = patient_index.leading_literal(value)
            if not patient_index.decided_by_tokens(value):
                self.checks.append(("patient_name", value))
            if literal:
                holders = DicomPatientNameToken.objects.filter(
                    token=patient_index.prefix_token(literal)).values("patient_id")
                self.sql &= Q(patient_id__in=holders)

    def accepts(self, study) -> bool:
        patient = study.patient
        for field, pattern in self.checks:
            if field == "patient_id" and not glob_match(
                    patient_index.normalise(pattern), patient_index.normalise(patient.patient_id)):
                return False
            if field == "patient_name" and not patient_index.name_matches(
                    pattern, patient.patient_name):
                return False
        return True

    def filter_rows(self, queryset, offset: int, limit: int) -> list:
        """The page of rows the checks accept. With wildcard checks, every candidate the
        SQL keys leave is decrypted and checked, up to QIDO_DECRYPT_SCAN_MAX of them; a
        search that leaves more is refused rather than decrypting a whole archive."""
        if not self.checks:
            return list(queryset[offset:offset + limit])
        cap = settings.QIDO_DECRYPT_SCAN_MAX
        candidates = list(queryset[:cap + 1])
        if len(candidates) > cap:
            raise InvalidInput(
                f"this wildcard would have to decrypt more than {cap} studies: patient "
                "names are encrypted, so search by a name prefix (ZHANG*), an exact "
                "Patient ID, or narrow by StudyDate, AccessionNumber or modality")
        return [s for s in candidates if self.accepts(s)][offset:offset + limit]
