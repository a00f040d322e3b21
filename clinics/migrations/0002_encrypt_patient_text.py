"""Patient names, birth dates and diagnosis text encrypted at rest; the name's keyed index.

Existing rows are encrypted in place, then every patient gets its ``name_hash`` and its
prefix tokens (``clinics.patient_names``).
"""

import cloudhospital.security.fields
import django.db.models.deletion
from django.db import migrations, models

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
        ('clinics', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='patient',
            name='name_hash',
            field=models.CharField(db_index=True, default='', editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='diagnosis',
            name='name',
            field=cloudhospital.security.fields.EncryptedTextField(max_length=100, verbose_name='diagnosis'),
        ),
        migrations.AlterField(
            model_name='patient',
            name='date_of_birth',
            field=cloudhospital.security.fields.EncryptedDateField(verbose_name='date of birth'),
        ),
        migrations.AlterField(
            model_name='patient',
            name='name',
            field=cloudhospital.security.fields.EncryptedTextField(max_length=100, verbose_name='name'),
        ),
        migrations.CreateModel(
            name='PatientNameToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(db_index=True, max_length=64)),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='name_tokens', to='clinics.patient')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('patient', 'token'), name='one_name_token_per_patient')],
            },
        ),
        encrypt_columns("clinics", "Patient", "name", "date_of_birth"),
        encrypt_columns("clinics", "Diagnosis", "name"),
        migrations.RunPython(index_names, migrations.RunPython.noop),
    ]
