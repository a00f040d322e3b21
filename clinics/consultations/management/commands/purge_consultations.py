import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from clinics.consultations.actions import purge_closed_before
from clinics.consultations.models import RetentionError


class Command(BaseCommand):
    help = "Delete closed consultations closed before a date; refuses anything inside retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--closed-before", required=True, help="YYYY-MM-DD")

    def handle(self, closed_before: str, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(closed_before)
        except ValueError as exc:
            raise CommandError("--closed-before must be YYYY-MM-DD") from exc
        cutoff = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
        try:
            count = purge_closed_before(cutoff)
        except RetentionError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"purged {count} consultation(s)")
