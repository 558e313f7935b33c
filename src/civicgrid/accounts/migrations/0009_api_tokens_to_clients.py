"""Each personal bearer token becomes a personal API client acting as the token's user, with every
grantable scope (what a token had in effect), and a key with the token's prefix, digest and dates."""

from django.db import migrations

# The grantable scopes when tokens were folded into clients (accounts/scopes.py GRANTABLE).
PERSONAL_SCOPES = [
    "account:read",
    "cases:act",
    "cases:create",
    "cases:read",
    "cases:read:personal",
    "classifier:use",
    "codes:manage",
    "exports",
    "hotspots:read",
    "notifications:use",
    "open311",
    "points:use",
    "replyquality:use",
    "stats:read",
    "webhooks:manage",
]


def tokens_to_clients(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiClient = apps.get_model("accounts", "ApiClient")
    ApiKey = apps.get_model("accounts", "ApiKey")
    for token in ApiToken.objects.select_related("user").order_by("pk"):
        client = ApiClient.objects.create(
            name=token.name[:100],
            kind="personal",
            user=token.user,
            department_id=token.user.department_id,
            scopes=PERSONAL_SCOPES,
            created_at=token.created_at,
        )
        ApiKey.objects.create(
            client=client,
            prefix=token.prefix,
            digest=token.digest,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_api_clients")]

    operations = [migrations.RunPython(tokens_to_clients, migrations.RunPython.noop)]
