"""Encrypt the rows written in clear before 0002."""

from django.db import migrations

from cloudhospital.security.migration_ops import encrypt_columns


class Migration(migrations.Migration):

    dependencies = [
        ("followups", "0002_encrypt_patient_text"),
    ]

    operations = [
        encrypt_columns("followups", "Visit", "note"),
        encrypt_columns("followups", "Notification", "title", "body", "data"),
        encrypt_columns("followups", "SmsMessage", "body"),
    ]
