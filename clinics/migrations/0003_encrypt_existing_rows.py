"""Encrypt the rows written in clear before 0002, then index every patient's name."""

from django.db import migrations

from cloudhospital.security.migration_ops import encrypt_columns


def index_names(apps, schema_editor):
    from clinics import patient_names

    patient_model = apps.get_model("clinics", "Patient")
    token_model = apps.get_model("clinics", "PatientNameToken")
    for patient in patient_model._base_manager.all():
        patient_model._base_manager.filter(pk=patient.pk).update(
            name_hash=patient_names.name_hash(patient.name))
        token_model.objects.filter(patient_id=patient.pk).delete()
        token_model.objects.bulk_create(
            token_model(patient_id=patient.pk, token=token)
            for token in sorted(patient_names.name_tokens(patient.name)))


class Migration(migrations.Migration):

    dependencies = [
        ("clinics", "0002_encrypt_patient_text"),
    ]

    operations = [
        encrypt_columns("clinics", "Patient", "name", "date_of_birth"),
        encrypt_columns("clinics", "Diagnosis", "name"),
        migrations.RunPython(index_names, migrations.RunPython.noop),
    ]
