"""API clients and their keys from the command line: list, create, issue a key, rotate, revoke."""

from django.core.management.base import BaseCommand, CommandError

from civicgrid.accounts.clients import api_client_create, api_key_issue, api_key_revoke, api_key_rotate
from civicgrid.accounts.models import ApiClient, ApiClientKind, ApiKey, User
from civicgrid.core.errors import DomainError


def _client(ref: str) -> ApiClient:
    client = ApiClient.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    client = client or ApiClient.objects.filter(name=ref).first()
    if client is None:
        raise CommandError(f"no API client {ref!r} (give its id or name)")
    return client


class Command(BaseCommand):
    help = "Manage API clients: list | create NAME --phone P --scope S… | key CLIENT | rotate CLIENT | revoke PREFIX"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every client with its scopes and live keys")
        create = sub.add_parser("create", help="a new client acting as an account")
        create.add_argument("name")
        create.add_argument("--phone", required=True, help="phone of the account the client acts as")
        create.add_argument("--scope", action="append", default=[], dest="scopes")
        create.add_argument("--kind", default=ApiClientKind.DEPARTMENT, choices=ApiClientKind.values)
        create.add_argument("--rate-limit", type=int, default=600, dest="rate_limit")
        create.add_argument("--street", action="append", default=[], dest="streets")
        key = sub.add_parser("key", help="issue a key (printed once)")
        key.add_argument("client", help="id or name")
        rotate = sub.add_parser("rotate", help="a new key; the others stop after the overlap")
        rotate.add_argument("client", help="id or name")
        rotate.add_argument("--overlap-hours", type=int, default=24, dest="overlap_hours")
        revoke = sub.add_parser("revoke", help="stop a key at once")
        revoke.add_argument("prefix")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_en}") from exc

    def do_list(self, **options):
        for client in ApiClient.objects.select_related("user").prefetch_related("keys"):
            live = [k.prefix for k in client.keys.all() if k.revoked_at is None]
            self.stdout.write(
                f"{client.pk}\t{client.name}\t{client.kind}\t{client.user.phone}\t"
                f"{','.join(client.scopes)}\t{client.rate_limit_per_minute}/min\t"
                f"{'active' if client.is_active else 'inactive'}\tkeys: {' '.join(live) or '-'}"
            )

    def do_create(self, *, name, phone, scopes, kind, rate_limit, streets, **options):
        user = User.objects.filter(phone=phone).first()
        if user is None:
            raise CommandError(f"no user with phone {phone}")
        if rate_limit < 1:
            raise CommandError("--rate-limit must be at least 1")
        client = api_client_create(
            name=name, user=user, scopes=scopes, kind=kind, rate_limit_per_minute=rate_limit, streets=streets
        )
        self.stdout.write(f"{client.pk}\t{client.name}")

    def do_key(self, *, client, **options):
        _, raw = api_key_issue(client=_client(client))
        self.stdout.write(raw)

    def do_rotate(self, *, client, overlap_hours, **options):
        _, raw = api_key_rotate(client=_client(client), overlap_hours=overlap_hours)
        self.stdout.write(raw)

    def do_revoke(self, *, prefix, **options):
        keys = list(ApiKey.objects.filter(prefix=prefix))
        if len(keys) != 1:
            raise CommandError(f"{len(keys)} keys have the prefix {prefix!r}")
        api_key_revoke(key=keys[0])
        self.stdout.write(f"revoked {prefix}")
