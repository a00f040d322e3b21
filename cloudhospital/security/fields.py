"""Model fields that store values encrypted at rest (AES-GCM envelope, base64 text).

Every field here is an ``EncryptedTextField`` (subclass), so ``rotate_keys`` finds and
re-encrypts them all. The database holds only envelopes: SQL can neither compare, order
nor search them. A value that must be found gets a keyed hash column beside it
(``crypto.keyed_hash``; see ``Patient.national_id_hash`` and ``Patient.name_hash``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.expressions import Combinable

from cloudhospital.security import crypto

# Only these lookups mean something on an envelope: emptiness. ``exact`` is kept for
# ``field=""`` (blank is stored as ""); any other value never matches a random-nonce
# envelope, so other lookups are refused rather than silently finding nothing.
_ALLOWED_LOOKUPS = {"exact", "isnull"}


class EncryptedTextField(models.TextField):
    """Plain ``str`` in Python, an encrypted envelope in the database.

    Not searchable or sortable by design: pair it with a keyed hash column when a value
    must be found (see ``Patient.national_id_hash``). ``max_length`` is checked by forms
    and ``full_clean``, not by the database (the envelope is longer than the text).
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return self.from_plaintext(crypto.decrypt_text(value))

    def from_plaintext(self, text: str) -> Any:
        """The Python value of decrypted text (text here; a date or JSON in subclasses)."""
        return text

    def to_plaintext(self, value: Any) -> str:
        return str(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        return crypto.encrypt_text(self.to_plaintext(value))

    def get_lookup(self, lookup_name: str):
        if lookup_name not in _ALLOWED_LOOKUPS:
            raise FieldError(f"{self.name} is encrypted: SQL cannot {lookup_name!r} it; "
                             "use its keyed hash column")
        return super().get_lookup(lookup_name)


class EncryptedDateField(EncryptedTextField):
    """A ``datetime.date`` in Python (ages are computed in Python), an envelope at rest."""

    description = "Date encrypted at rest"
    # What django-stubs' mypy plugin reads for the Python type of the attribute.
    _pyi_private_set_type: dt.date | str | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: dt.date  # type: ignore[assignment]

    def from_plaintext(self, text: str) -> dt.date:
        return dt.date.fromisoformat(text)

    def to_plaintext(self, value: Any) -> str:
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        return dt.date.fromisoformat(str(value)).isoformat()

    def to_python(self, value):
        if value is None or value == "" or isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError as exc:
            from django.core.exceptions import ValidationError

            raise ValidationError("enter a valid date (YYYY-MM-DD)", code="invalid") from exc

    def formfield(self, **kwargs):  # type: ignore[override]
        return forms.DateField(label=self.verbose_name, required=not self.blank, **kwargs)


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (dict or list) in Python, an envelope at rest."""

    description = "JSON encrypted at rest"
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_plaintext(self, text: str) -> Any:
        return json.loads(text)

    def to_plaintext(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    def get_prep_value(self, value):
        # An empty dict or list is still data (not "blank"): encrypt it like any other.
        if value is None:
            return value
        return crypto.encrypt_text(self.to_plaintext(value))

    def formfield(self, **kwargs):  # type: ignore[override]
        return forms.JSONField(label=self.verbose_name, required=not self.blank, **kwargs)
