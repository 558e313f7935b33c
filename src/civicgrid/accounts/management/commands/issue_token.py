from django.core.management.base import BaseCommand, CommandError

from civicgrid.accounts.clients import api_personal_key_issue
from civicgrid.accounts.models import User


class Command(BaseCommand):
    help = (
        "Issue a personal API key for a user (printed once): civicgrid issue_token PHONE NAME. "
        "It is a personal client acting as the user, with every grantable scope."
    )

    def add_arguments(self, parser):
        parser.add_argument("phone")
        parser.add_argument("name")
        parser.add_argument(
            "--rate-limit", type=int, default=600, dest="rate_limit", help="requests a minute"
        )

    def handle(self, *args, phone: str, name: str, rate_limit: int, **options):
        user = User.objects.filter(phone=phone).first()
        if user is None:
            raise CommandError(f"no user with phone {phone}")
        _, raw = api_personal_key_issue(user=user, name=name, rate_limit_per_minute=rate_limit)
        self.stdout.write(raw)
