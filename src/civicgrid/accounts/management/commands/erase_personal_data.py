"""civicgrid erase_personal_data PHONE --by ADMIN_PHONE --reason TEXT: 个人信息删除 (PIPL art. 47).

The deliberate path through the append-only history: masks the person's personal data and records
the erasure (accounts.services.personal_data_erase); nothing is deleted.
"""

from django.core.management.base import BaseCommand, CommandError

from civicgrid.accounts.models import User
from civicgrid.accounts.services import personal_data_erase
from civicgrid.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Erase a person's personal data by masking it (个人信息删除): "
        "civicgrid erase_personal_data PHONE --by ADMIN_PHONE --reason TEXT"
    )

    def add_arguments(self, parser):
        parser.add_argument("phone", help="the person's phone number (their login)")
        parser.add_argument("--by", dest="actor_phone", required=True, help="the administrator who erases")
        parser.add_argument(
            "--reason", required=True, help="the request or legal ground (not the erased data)"
        )

    def handle(self, *args, phone: str, actor_phone: str, reason: str, **options):
        person = User.objects.filter(phone=phone).first()
        if person is None:
            raise CommandError(f"no user with phone {phone}")
        actor = User.objects.filter(phone=actor_phone).first()
        if actor is None:
            raise CommandError(f"no user with phone {actor_phone}")
        try:
            erasure = personal_data_erase(person=person, actor=actor, reason=reason)
        except DomainError as err:
            raise CommandError(f"{err.message_zh} ({err.message_en})") from err
        masked = ", ".join(f"{what} {n}" for what, n in sorted(erasure.masked.items()) if n)
        self.stdout.write(
            f"erasure #{erasure.pk}: user #{person.pk} is now {erasure.person.phone}; masked: {masked}"
        )
