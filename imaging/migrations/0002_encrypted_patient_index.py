"""The imaging index's patient columns encrypted, with keyed hashes and name-prefix tokens
for QIDO (issue 10, item 6). Existing rows are re-written in place."""

import django.db.models.deletion
from django.db import migrations, models

import cloudhospital.security.fields


def encrypt_existing(apps, schema_editor):
    from imaging import patient_index

    DicomPatient = apps.get_model("imaging", "DicomPatient")
    Token = apps.get_model("imaging", "DicomPatientNameToken")
    qn = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {qn('id')}, {qn('patient_id')}, {qn('patient_name')}, "
            f"{qn('birth_date')}, {qn('sex')} FROM {qn('imaging_dicompatient')}")
        rows = cursor.fetchall()
    for pk, patient_id, name, birth_date, sex in rows:
        patient_id, name = patient_id or "", name or ""
        DicomPatient.objects.filter(pk=pk).update(
            patient_id=patient_id, patient_name=name, birth_date=birth_date or "",
            sex=sex or "", patient_id_hash=patient_index.patient_id_hash(patient_id),
            name_hash=patient_index.name_hash(name))
        Token.objects.bulk_create(Token(patient_id=pk, token=t)
                                  for t in sorted(patient_index.name_tokens(name)))


class Migration(migrations.Migration):

    dependencies = [
        ("imaging", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="dicompatient",
                                    name="one_dicom_patient_per_issuer"),
        migrations.AddField(
            model_name="dicompatient", name="patient_id_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False),
        migrations.AddField(
            model_name="dicompatient", name="name_hash",
            field=models.CharField(db_index=True, default="", editable=False, max_length=64),
            preserve_default=False),
        migrations.AlterField(
            model_name="dicompatient", name="patient_id",
            field=cloudhospital.security.fields.EncryptedTextField(blank=True,
                                                                   verbose_name="Patient ID")),
        migrations.AlterField(
            model_name="dicompatient", name="patient_name",
            field=cloudhospital.security.fields.EncryptedTextField(
                blank=True, verbose_name="Patient's Name")),
        migrations.AlterField(
            model_name="dicompatient", name="birth_date",
            field=cloudhospital.security.fields.EncryptedTextField(
                blank=True, verbose_name="Patient's Birth Date")),
        migrations.AlterField(
            model_name="dicompatient", name="sex",
            field=cloudhospital.security.fields.EncryptedTextField(
                blank=True, verbose_name="Patient's Sex")),
        migrations.CreateModel(
            name="DicomPatientNameToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=64)),
                ("patient", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="+",
                    to="imaging.dicompatient")),
            ],
            options={
                "indexes": [models.Index(fields=["token", "patient"],
                                         name="dicom_name_token")],
                "constraints": [models.UniqueConstraint(fields=("patient", "token"),
                                                        name="one_name_token_per_patient")],
            },
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="dicompatient",
            constraint=models.UniqueConstraint(fields=("institution", "patient_id_hash"),
                                               name="one_dicom_patient_per_issuer")),
    ]
