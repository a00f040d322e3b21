"""Patient names, encrypted at rest, still found: an exact keyed hash and prefix tokens.

The name is stored as an envelope (``Patient.name``). Beside it:

- ``Patient.name_hash``: HMAC of the whole normalised name, for exact look-ups;
- ``PatientNameToken`` rows: HMAC of each prefix of 1..PREFIX_CHARS characters of the
  normalised name, so "张" or "zhang" finds 张三 or Zhang Wei by index, without decrypting.

Normalisation (the same for what is stored and what is searched): NFKC (full-width
letters become ASCII), ``casefold`` (ZHANG = zhang), runs of white space become one
space, trimmed. A prefix counts characters, so a Chinese name gets one token per leading
character run (张, 张三, 张三丰). A search longer than PREFIX_CHARS is narrowed by the
token of its first PREFIX_CHARS characters, then checked on the decrypted names.
What the tokens reveal is in docs/security.md, "What the clinic records reveal".
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

from cloudhospital.core.errors import InvalidInput
from cloudhospital.security.crypto import keyed_hash

PREFIX_CHARS = 16
MAX_QUERY_CHARS = 100  # a name is at most 100 characters (Patient.name's max_length)
_SPACES = re.compile(r"\s+")


def normalise(name: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name).casefold()).strip()


def name_hash(name: str) -> str:
    return keyed_hash("clinics-patient-name", normalise(name))


def prefix_token(normalised_prefix: str) -> str:
    return keyed_hash("clinics-patient-name-prefix", normalised_prefix[:PREFIX_CHARS])


def name_tokens(name: str) -> set[str]:
    """One token per prefix (1..PREFIX_CHARS characters) of the normalised name."""
    value = normalise(name)
    return {prefix_token(value[:n]) for n in range(1, min(len(value), PREFIX_CHARS) + 1)}


def search_term(text: str | None) -> str:
    """The normalised search text, or InvalidInput (422) for empty, NUL or oversized input.

    Checked before any hashing: the length on the raw text, so a megabyte costs nothing."""
    if text is None or len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(_("a name search has 1 to %(n)d characters") % {
            "n": MAX_QUERY_CHARS}, field="name")
    if "\x00" in text or any(unicodedata.category(c) == "Cc" for c in text):
        raise InvalidInput(_("the name contains control characters"), field="name")
    value = normalise(text.rstrip("*"))  # "张*" is the same prefix search as "张"
    if not value:
        raise InvalidInput(_("a name search has 1 to %(n)d characters") % {
            "n": MAX_QUERY_CHARS}, field="name")
    return value
