from django.core.management.base import BaseCommand, CommandError

from cloudhospital.security.models import ApiToken
from cloudhospital.security.tokens import revoke_api_token


class Command(BaseCommand):
    help = "Revoke API tokens by prefix (as shown in the admin)."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, prefix, **options):
        tokens = list(ApiToken.objects.filter(prefix__startswith=prefix, revoked_at__isnull=True))
        if not tokens:
            raise CommandError(f"no active token starting with {prefix!r}")
        for token in tokens:
            revoke_api_token(token)
        self.stdout.write(f"revoked {len(tokens)} token(s)")
