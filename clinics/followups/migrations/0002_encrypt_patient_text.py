"""Free text about the patient becomes encrypted columns (rows: 0003)."""

import cloudhospital.security.fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('followups', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='body',
            field=cloudhospital.security.fields.EncryptedTextField(blank=True, verbose_name='message'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='data',
            field=cloudhospital.security.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name='notification',
            name='title',
            field=cloudhospital.security.fields.EncryptedTextField(max_length=200, verbose_name='title'),
        ),
        migrations.AlterField(
            model_name='smsmessage',
            name='body',
            field=cloudhospital.security.fields.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name='visit',
            name='note',
            field=cloudhospital.security.fields.EncryptedTextField(blank=True, verbose_name='note'),
        ),
    ]
