"""Free text about the patient becomes encrypted columns (rows: 0003)."""

import cloudhospital.security.fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('consultations', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='consent',
            name='signed_by',
            field=cloudhospital.security.fields.EncryptedTextField(max_length=100, verbose_name='signed by'),
        ),
        migrations.AlterField(
            model_name='consultation',
            name='cancel_reason',
            field=cloudhospital.security.fields.EncryptedTextField(blank=True, verbose_name='cancellation reason'),
        ),
        migrations.AlterField(
            model_name='consultation',
            name='clinical_question',
            field=cloudhospital.security.fields.EncryptedTextField(verbose_name='clinical question'),
        ),
        migrations.AlterField(
            model_name='consultation',
            name='decline_reason',
            field=cloudhospital.security.fields.EncryptedTextField(blank=True, verbose_name='decline reason'),
        ),
        migrations.AlterField(
            model_name='consultation',
            name='reason',
            field=cloudhospital.security.fields.EncryptedTextField(verbose_name='reason and purpose'),
        ),
        migrations.AlterField(
            model_name='consultation',
            name='record_summary',
            field=cloudhospital.security.fields.EncryptedTextField(verbose_name='summary of the record'),
        ),
        migrations.AlterField(
            model_name='report',
            name='findings',
            field=cloudhospital.security.fields.EncryptedTextField(verbose_name='findings'),
        ),
        migrations.AlterField(
            model_name='report',
            name='opinion',
            field=cloudhospital.security.fields.EncryptedTextField(verbose_name='opinion'),
        ),
        migrations.AlterField(
            model_name='report',
            name='recommendations',
            field=cloudhospital.security.fields.EncryptedTextField(verbose_name='recommendations'),
        ),
    ]
