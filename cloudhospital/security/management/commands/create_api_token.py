from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cloudhospital.security.tokens import create_api_token


class Command(BaseCommand):
    help = "Create a bearer token for USERNAME; the token is printed alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        token, raw = create_api_token(user, name)
        self.stderr.write(f"token {token.prefix}… created for {username}; it is shown once:")
        self.stdout.write(raw)
