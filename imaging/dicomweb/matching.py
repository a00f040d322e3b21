"""DICOM wildcard matching (PS3.4 C.2.2.2.4: ``*`` any run, ``?`` one character) in
linear time, in SQL and in Python.

A wildcard value used to become a regular expression (``^.*a.*a.*b$``); a backtracking
engine needs time exponential in the number of ``*`` for a value that almost matches
(``*a*a*a*a*b`` against 200 × "A" took 17-27 s and held a server thread). Here it becomes
an escaped ``LIKE`` (SQLite and PostgreSQL both give up early on a ``%`` that cannot
match, so the cost is bounded by pattern × value), and for values that only exist
decrypted in Python, a two-pointer glob match that never backtracks more than one ``*``.
"""

from __future__ import annotations

from django.db.models import F, Lookup, Q, Value
from django.db.models.fields import CharField

WILDCARDS = ("*", "?")


def has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def like_pattern(value: str) -> str:
    """``*``/``?`` → ``%``/``_``; the LIKE metacharacters of the value itself escaped."""
    out = []
    for char in value:
        if char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        elif char in "\\%_":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


class DicomLike(Lookup):
    """``column LIKE pattern ESCAPE '\\'``, case-insensitive on both databases (SQLite's
    LIKE already is for ASCII; PostgreSQL needs ILIKE)."""

    lookup_name = "dicom_like"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        operator = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
        return f"{lhs} {operator} {rhs} ESCAPE '\\'", [*lhs_params, *rhs_params]


def match_q(field: str, value: str) -> Q:
    """Single-value or wildcard match of a clear-text column."""
    if not has_wildcard(value):
        return Q(**{field: value})
    return Q(DicomLike(F(field), Value(like_pattern(value), output_field=CharField())))


def glob_match(pattern: str, text: str) -> bool:
    """Case-insensitive DICOM wildcard match in O(len(pattern) × len(text)) at worst.

    The classic greedy algorithm: on a mismatch, resume just after the most recent ``*``
    with one more character swallowed by it; earlier stars never need revisiting, because
    the latest star can absorb anything they could have.
    """
    return _glob(pattern.casefold(), text.casefold())


def _glob(p: str, t: str) -> bool:
    i = j = 0
    star, resume = -1, 0
    while j < len(t):
        if i < len(p) and (p[i] == "?" or (p[i] == t[j] and p[i] != "*")):
            i += 1
            j += 1
        elif i < len(p) and p[i] == "*":
            star, resume = i, j
            i += 1
        elif star >= 0:
            resume += 1
            i, j = star + 1, resume
        else:
            return False
    while i < len(p) and p[i] == "*":
        i += 1
    return i == len(p)
