"""Patient names, birth dates and diagnosis text become encrypted columns; the name index.

The rows are encrypted by 0003 (PostgreSQL refuses schema changes after data changes in
one transaction).
"""

import cloudhospital.security.fields
import django.db.models.deletion
from django.db import migrations, models



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
                'constraints': [models.UniqueConstraint(fields=('patient', 'token'), name='clinics_one_name_token_per_patient')],
            },
        ),
    ]
