"""Encrypt the rows written in clear before 0002."""

from django.db import migrations

from cloudhospital.security.migration_ops import encrypt_columns


class Migration(migrations.Migration):

    dependencies = [
        ("consultations", "0002_encrypt_patient_text"),
    ]

    operations = [
        encrypt_columns("consultations", "Consultation", "reason", "clinical_question",
                        "record_summary", "decline_reason", "cancel_reason"),
        encrypt_columns("consultations", "Consent", "signed_by"),
        encrypt_columns("consultations", "Report", "findings", "opinion", "recommendations"),
    ]
