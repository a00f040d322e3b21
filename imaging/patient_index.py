"""The patient columns of the imaging index: encrypted, yet found by QIDO.

Patient's Name, Patient ID, Birth Date and Sex are stored as envelopes
(``EncryptedTextField``, rotated by ``rotate_keys`` with every other such column). What a
search needs is kept beside them as keyed hashes (HMAC with ``LOOKUP_HASH_KEY``, each kind
under its own label so equal values in different columns do not link):

- ``patient_id_hash``: the Patient ID, for exact matching (and the one-patient-per-issuer
  constraint);
- ``name_hash``: the whole normalised name, for exact matching;
- ``DicomPatientNameToken`` rows: one per normalised prefix (1..PREFIX_CHARS characters)
  of each component group of the name, so ``PatientName=ZHANG*`` is answered by index.

A prefix of at most PREFIX_CHARS characters is decided by its token alone. Any other
wildcard is decided on the decrypted value (``dicomweb.matching.glob_match``), after the
token of its leading literal, if it has one, and the other keys have narrowed the
candidates; at most ``QIDO_DECRYPT_SCAN_MAX`` studies are decrypted, beyond that the
search is refused (400) and asks for a prefix or another key.
docs/security.md, "What the imaging index reveals", says what the hashes reveal.
"""

from __future__ import annotations

import re
import unicodedata

from cloudhospital.security.crypto import lookup_hash
from imaging.dicomweb.matching import glob_match, has_wildcard

PREFIX_CHARS = 16


def normalise(value: str) -> str:
    """NFKC (full-width letters as ASCII), trimmed, upper case: what every hash sees."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def _keyed(label: str, value: str) -> str:
    return lookup_hash(f"{label}\x1f{normalise(value)}")


def patient_id_hash(patient_id: str) -> str:
    return _keyed("dicom-patient-id", patient_id)


def name_hash(name: str) -> str:
    return _keyed("dicom-patient-name", name)


def prefix_token(prefix: str) -> str:
    """The token of a name prefix (already normalised; inner and trailing spaces count)."""
    return lookup_hash(f"dicom-patient-name-prefix|{prefix[:PREFIX_CHARS]}|")


def groups(name: str) -> list[str]:
    """The normalised component groups: ``Zhang^San=张^三`` → ZHANG^SAN, 张^三."""
    return [g for g in (normalise(part) for part in name.split("=")) if g]


def name_tokens(name: str) -> set[str]:
    """One token per prefix (1..PREFIX_CHARS characters) of each component group."""
    return {prefix_token(g[:n]) for g in groups(name)
            for n in range(1, min(len(g), PREFIX_CHARS) + 1)}


def leading_literal(pattern: str) -> str:
    """What a wildcard pattern fixes at the start of a group, at most PREFIX_CHARS
    characters: ``zhang^s*`` → ``ZHANG^S``, ``*an`` → ``""``."""
    literal = re.split(r"[*?]", pattern, maxsplit=1)[0].split("=", 1)[0]
    return unicodedata.normalize("NFKC", literal).upper().lstrip()[:PREFIX_CHARS]


def decided_by_tokens(pattern: str) -> bool:
    """``LITERAL*`` with a literal of at most PREFIX_CHARS characters in one group: the
    token alone says whether a name matches, no decryption needed."""
    literal = pattern[:-1]
    fixed = unicodedata.normalize("NFKC", literal).upper().lstrip()
    return (pattern.endswith("*") and bool(fixed.strip()) and not has_wildcard(literal)
            and "=" not in literal and len(fixed) <= PREFIX_CHARS)


def name_matches(pattern: str, name: str) -> bool:
    """DICOM matching of the whole value, or of any one component group (alphabetic,
    ideographic, phonetic), so ``张*`` finds ``Zhang^San=张^三``; both sides normalised
    as the hashes are (full-width ``ＺＨＡＮＧ*`` finds ``Zhang^San``)."""
    pattern, name = normalise(pattern), normalise(name)
    if glob_match(pattern, name):
        return True
    groups = name.split("=")
    return len(groups) > 1 and any(glob_match(pattern, g) for g in groups if g)
