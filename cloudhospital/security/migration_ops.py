"""Encrypt (or, backwards, decrypt) columns that held clear text before a migration.

Used by the data migrations that turn a clear column into an ``EncryptedTextField``: the
rows are read raw (the field would try to decrypt clear text) and written back through
the field, which encrypts. A value that already decrypts is left alone, so running it
twice, or on a database written partly by the new code, is harmless.
"""

from __future__ import annotations

from django.db import migrations

from cloudhospital.security import crypto


def _is_envelope(raw: str) -> bool:
    try:
        crypto.decrypt_text(raw)
    except Exception:  # not base64, not an envelope, or not ours: clear text
        return False
    return True


def _each_raw(schema_editor, model, column: str):
    qn = schema_editor.connection.ops.quote_name
    table, pk = model._meta.db_table, model._meta.pk.column
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)}")  # noqa: S608
        return cursor.fetchall()


def encrypt_columns(app_label: str, model_name: str, *field_names: str) -> migrations.RunPython:
    def forward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        for name in field_names:
            field = model._meta.get_field(name)
            for pk, raw in _each_raw(schema_editor, model, field.column):
                if raw is None or raw == "" or _is_envelope(str(raw)):
                    continue
                value = field.from_plaintext(str(raw))
                model._base_manager.filter(pk=pk).update(**{name: value})

    def backward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        qn = schema_editor.connection.ops.quote_name
        for name in field_names:
            field = model._meta.get_field(name)
            for pk, raw in _each_raw(schema_editor, model, field.column):
                if raw is None or raw == "" or not _is_envelope(str(raw)):
                    continue
                with schema_editor.connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {qn(model._meta.db_table)} SET {qn(field.column)} = %s "  # noqa: S608
                        f"WHERE {qn(model._meta.pk.column)} = %s",
                        [crypto.decrypt_text(str(raw)), pk])

    return migrations.RunPython(forward, backward, elidable=False)
