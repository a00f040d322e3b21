"""A model field that stores text encrypted at rest (AES-GCM envelope, base64)."""

from __future__ import annotations

from django.db import models

from cloudhospital.security import crypto


class EncryptedTextField(models.TextField):
    """Plain ``str`` in Python, an encrypted envelope in the database.

    Not searchable or sortable by design: pair it with a ``lookup_hash`` column when a
    value must be found (see ``Patient.national_id_hash``).
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt_text(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        return crypto.encrypt_text(str(value))
