"""Encrypt the consent signers written in clear before 0002."""

from django.db import migrations

from cloudhospital.security.migration_ops import encrypt_columns


class Migration(migrations.Migration):

    dependencies = [
        ("referrals", "0002_encrypt_consent_signer"),
    ]

    operations = [
        encrypt_columns("referrals", "ReferralConsent", "signed_by"),
    ]
