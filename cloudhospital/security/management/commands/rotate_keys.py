from django.core.management.base import BaseCommand

from cloudhospital.security import crypto, rotation


class Command(BaseCommand):
    help = ("Re-encrypt all data at rest under ENCRYPTION_ACTIVE_KEY. Keep the old key in "
            "ENCRYPTION_KEYS until this has finished, then remove it.")

    def handle(self, **options):
        count = rotation.rotate_all()
        self.stdout.write(f"re-encrypted {count} item(s) under key {crypto.keyring().active_id!r}")
