"""Re-encrypt every stored envelope that is not under the active key.

Each app with encrypted data registers a function here; ``rotate_keys`` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.db import connection, transaction

from cloudhospital.security import crypto
from cloudhospital.security.fields import EncryptedTextField

ROTATORS: list[Callable[[], int]] = []


def register(func: Callable[[], int]) -> Callable[[], int]:
    ROTATORS.append(func)
    return func


def rotate_encrypted_fields() -> int:
    """Every EncryptedTextField column, row by row, read raw so the key id can be checked."""
    changed = 0
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        for field in fields:
            changed += _rotate_column(model, field)
    return changed


def _rotate_column(model, field) -> int:
    table, column = model._meta.db_table, field.column
    pk = model._meta.pk.column
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)}")  # noqa: S608
        rows = cursor.fetchall()
    changed = 0
    for row_pk, raw in rows:
        if not raw or not crypto.needs_rotation(crypto.base64.b64decode(raw)):
            continue
        with transaction.atomic():
            # Through the field's own conversion (a date, JSON...), so that writing it
            # back encrypts the same plaintext under the active key.
            value = field.from_db_value(raw, None, connection)
            model._base_manager.filter(pk=row_pk).update(**{field.name: value})
        changed += 1
    return changed


register(rotate_encrypted_fields)


def rotate_all() -> int:
    return sum(rotator() for rotator in ROTATORS)
