"""accounts 0009: each personal token became a personal client acting as its user, with its key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0008_api_clients")]
AFTER = [("accounts", "0010_api_rate_window_drop_tokens")]


@pytest.mark.django_db(transaction=True)
def test_tokens_become_personal_clients_with_the_same_key(client):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    User, ApiToken = old.get_model("accounts", "User"), old.get_model("accounts", "ApiToken")
    user = User.objects.create(phone="13900000099", role="dispatcher", password="!")
    created, used, revoked = (datetime(2026, 3, d, tzinfo=UTC) for d in (1, 2, 3))
    live = ApiToken.objects.create(user=user, name="热线", prefix="cg_abcdefg", digest="a" * 64)
    ApiToken.objects.filter(pk=live.pk).update(created_at=created, last_used_at=used)
    gone = ApiToken.objects.create(
        user=user, name="旧", prefix="cg_zzzzzzz", digest="b" * 64, revoked_at=revoked
    )
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        ApiKey = new.get_model("accounts", "ApiKey")
        key = ApiKey.objects.select_related("client").get(digest="a" * 64)
        assert (key.prefix, key.created_at, key.last_used_at, key.revoked_at) == (
            "cg_abcdefg",
            created,
            used,
            None,
        )
        assert key.client.kind == "personal" and key.client.user_id == user.pk and key.client.name == "热线"
        assert "cases:read:personal" in key.client.scopes and "account:read" in key.client.scopes
        assert ApiKey.objects.get(digest="b" * 64).revoked_at == revoked
        assert gone.pk and "accounts_apitoken" not in connection.introspection.table_names()
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
