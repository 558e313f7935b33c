from django.core.management.base import BaseCommand, CommandError

from civicgrid.accounts.models import User
from civicgrid.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Issue an API token for a user (printed once): civicgrid issue_token PHONE NAME"

    def add_arguments(self, parser):
        parser.add_argument("phone")
        parser.add_argument("name")

    def handle(self, *args, phone: str, name: str, **options):
        user = User.objects.filter(phone=phone).first()
        if user is None:
            raise CommandError(f"no user with phone {phone}")
        _, raw = api_token_create(user=user, name=name)
        self.stdout.write(raw)
