"""The migration to SHA256 fingerprints and unique titles, on keys stored before it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from atmo.keys.utils import calculate_fingerprint
from tests.keys.factories import public_key

BEFORE = [("keys", "0001_initial")]
AFTER = [("keys", "0002_sha256_fingerprints_unique_titles")]


@pytest.fixture
def old_schema(transactional_db: Any) -> Iterator[Any]:
    """The apps as they were before the migration; the latest schema comes back afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor.loader.project_state(BEFORE).apps
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())


def migrate_forward() -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    return executor.loader.project_state(AFTER).apps


def test_it_renames_repeated_titles_and_stores_sha256_fingerprints(old_schema: Any) -> None:
    User = old_schema.get_model("auth", "User")
    alice = User.objects.create(username="alice@example.com")
    bob = User.objects.create(username="bob@example.com")
    SSHKey = old_schema.get_model("keys", "SSHKey")
    lines = [public_key() for _ in range(4)]
    # The MD5 fingerprints the old code stored (any distinct text does for the test).
    first = SSHKey.objects.create(created_by=alice, title="laptop", key=lines[0], fingerprint="md5-1")
    second = SSHKey.objects.create(created_by=alice, title="Laptop", key=lines[1], fingerprint="md5-2")
    third = SSHKey.objects.create(created_by=alice, title="laptop", key=lines[2], fingerprint="md5-3")
    bobs = SSHKey.objects.create(created_by=bob, title="laptop", key=lines[3], fingerprint="md5-4")

    new_apps = migrate_forward()

    keys = {key.pk: key for key in new_apps.get_model("keys", "SSHKey").objects.all()}
    assert [keys[k.pk].title for k in (first, second, third, bobs)] == [
        "laptop",
        "Laptop (2)",
        "laptop (3)",
        "laptop",
    ]
    assert [keys[k.pk].fingerprint for k in (first, second, third, bobs)] == [
        calculate_fingerprint(x) for x in lines
    ]
