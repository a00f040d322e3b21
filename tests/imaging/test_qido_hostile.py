"""QIDO-RS under hostile queries: wildcards that used to backtrack, huge or malformed
paging, NUL bytes, bad dates and UIDs — each a 400 with the JSON error, never a 500."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imaging.dicomweb.matching import glob_match, like_pattern
from tests.imaging.dicomfiles import encode, synthetic

pytestmark = pytest.mark.django_db

HOSTILE = "*a*a*a*a*b"


def _uids(response):
    return sorted(r["0020000D"]["Value"][0] for r in response.json())


@pytest.fixture
def long_name_study(world):
    """A study whose Patient's Name is 200 × "A": the near miss for ``*a*a*a*a*b``."""
    from imaging.ingest import ingest_instance

    ds = synthetic(patient_name="A" * 200, patient_id="LONG-1")
    ingest_instance(encode(ds), institution=world.centre_a, source="upload")
    return ds


def test_the_backtracking_pattern_is_answered_correctly_without_a_regex(
        world, long_name_study, client_for):
    alice = client_for(world.alice)
    with CaptureQueriesContext(connection) as queries:
        response = alice.get("/dicomweb/studies", {"PatientName": HOSTILE})
    assert response.status_code == 200
    assert response.json() == []
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "REGEXP" not in sql and "~*" not in sql
    hit = alice.get("/dicomweb/studies", {"PatientName": "*a*a*a*a*a"})
    assert _uids(hit) == [long_name_study.StudyInstanceUID]


def test_wildcard_metacharacters_of_the_value_are_matched_literally(world, client_for):
    from imaging.ingest import ingest_instance

    literal = synthetic(patient_name="Li_100%", patient_id="LIT-1")
    other = synthetic(patient_name="LiX1009", patient_id="LIT-2")
    for ds in (literal, other):
        ingest_instance(encode(ds), institution=world.centre_a, source="upload")
    alice = client_for(world.alice)
    assert _uids(alice.get("/dicomweb/studies", {"PatientName": "Li_100%*"})) == [
        literal.StudyInstanceUID]
    assert _uids(alice.get("/dicomweb/studies", {"PatientName": "Li?100?"})) == sorted(
        [literal.StudyInstanceUID, other.StudyInstanceUID])


def test_like_patterns_escape_what_like_would_interpret():
    assert like_pattern("a*b?c") == "a%b_c"
    assert like_pattern("50%_x\\") == "50\\%\\_x\\\\"


@pytest.mark.parametrize(("pattern", "text", "expected"), [
    ("*", "", True), ("", "", True), ("", "a", False), ("a*", "ABC", True),
    ("*c", "abc", True), ("a?c", "abc", True), ("a?c", "ac", False),
    ("*a*a*b", "aab", True), ("*a*a*b", "aa", False), ("ZHANG*", "zhang^san", True),
    ("*^san", "Zhang^San", True), ("**a", "a", True), ("?", "", False),
])
def test_glob_match_follows_dicom_wildcards(pattern, text, expected):
    assert glob_match(pattern, text) is expected


def test_glob_match_work_is_linear_on_the_hostile_pattern():
    """Counted, not timed: the characters the matcher reads grow with pattern × text, not
    with text ** stars (20 stars on 2,000 characters)."""
    from imaging.dicomweb.matching import _glob

    reads = 0

    class Counting(str):
        def __getitem__(self, index):
            nonlocal reads
            reads += 1
            return str.__getitem__(self, index)

    pattern, text = "*a" * 20 + "*b", "a" * 2000
    assert _glob(Counting(pattern), Counting(text)) is False
    assert 0 < reads < 4 * len(pattern) * len(text)


BAD_QUERIES = [
    ("/dicomweb/studies", {"offset": "99999999999999999999999"}),
    ("/dicomweb/studies", {"offset": "2147483648"}),
    ("/dicomweb/studies", {"limit": "99999999999999999999999"}),
    ("/dicomweb/studies", {"limit": "1" * 5000}),
    ("/dicomweb/studies", {"limit": "-1"}),
    ("/dicomweb/studies", {"offset": "1e3"}),
    ("/dicomweb/studies", {"PatientName": "a\x00b"}),
    ("/dicomweb/studies", {"PatientID": "\x00"}),
    ("/dicomweb/studies", {"AccessionNumber": "A\x00*"}),
    ("/dicomweb/studies", {"Patient\x00Name": "a"}),
    ("/dicomweb/studies", {"StudyDate": "2026\x00101"}),
    ("/dicomweb/studies", {"StudyDate": "20261345"}),
    ("/dicomweb/studies", {"StudyDate": "99999999-"}),
    ("/dicomweb/studies", {"StudyDate": "yesterday"}),
    ("/dicomweb/studies", {"StudyInstanceUID": "1.2.abc"}),
    ("/dicomweb/studies", {"StudyInstanceUID": "1." + "2" * 80}),
    ("/dicomweb/studies", {"StudyInstanceUID": ",".join(["1.2"] * 500)}),
    ("/dicomweb/studies", {"PatientName": "A" * 5000}),
    ("/dicomweb/studies", {"ModalitiesInStudy": "CT\x00"}),
    ("/dicomweb/studies/{study}/series", {"SeriesNumber": "99999999999999999999"}),
    ("/dicomweb/studies/{study}/series", {"SeriesInstanceUID": "x"}),
    ("/dicomweb/studies/{study}/series/{series}/instances",
     {"InstanceNumber": "-99999999999999999999"}),
    ("/dicomweb/studies/{study}/series/{series}/instances", {"SOPClassUID": "1..2"}),
    ("/dicomweb/studies/{study}/series/{series}/instances", {"offset": "9" * 30}),
    ("/dicomweb/studies/1.2.%00/series", {}),
    ("/dicomweb/studies/not-a-uid/series", {}),
    ("/dicomweb/studies/{study}/series/{series}/instances/1.2\x003/metadata", {}),
]


@pytest.mark.parametrize(("path", "params"), BAD_QUERIES)
def test_malformed_qido_parameters_are_400_with_the_json_error(world, ct_study, client_for,
                                                               path, params):
    alice = client_for(world.alice)
    path = path.format(study=ct_study[0].StudyInstanceUID,
                       series=ct_study[0].SeriesInstanceUID)
    response = alice.get(path, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_input" and body["message"]


def test_a_limit_above_the_maximum_is_cut_to_it(world, ct_study, client_for):
    response = client_for(world.alice).get("/dicomweb/studies", {"limit": "2147483647"})
    assert response.status_code == 200 and len(response.json()) == 2


@pytest.mark.postgres
def test_nul_bytes_and_huge_integers_are_400_on_postgresql(world, ct_study, client_for):
    """The same refusals where they used to be 500s: PostgreSQL rejects NUL in text and
    integers beyond bigint."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...)")
    alice = client_for(world.alice)
    for params in ({"PatientName": "a\x00b"}, {"offset": "99999999999999999999999"},
                   {"AccessionNumber": "\x00"}, {"StudyInstanceUID": "1.2\x00"}):
        response = alice.get("/dicomweb/studies", params)
        assert response.status_code == 400, (params, response.content)
