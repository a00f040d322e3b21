import os

from django.core.management.base import BaseCommand

from cloudhospital.core.demo import seed


class Command(BaseCommand):
    help = ("Load the fictional demo world (idempotent). Accounts clinic_doctor, specialist, "
            "patient, admin; password $DEMO_PASSWORD, else generated and printed once.")

    def handle(self, **options):
        given = os.environ.get("DEMO_PASSWORD") or None
        created, password = seed(given)
        if not created:
            self.stdout.write("demo data already present (unchanged)")
        elif given:
            self.stdout.write("demo data loaded; password is $DEMO_PASSWORD")
        else:
            self.stdout.write(self.style.WARNING(
                f"demo data loaded; demo accounts' password (shown once): {password}"))
