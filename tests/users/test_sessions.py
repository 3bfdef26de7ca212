"""Sessions live in the database: a Redis restart or flush logs nobody out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django_redis import get_redis_connection

from localdev.redis import EmbeddedRedis


@pytest.fixture
def own_redis(tmp_path: Path, settings: Any) -> Iterator[EmbeddedRedis]:
    """The Django cache on a Redis server of this test's own, which keeps nothing when restarted."""
    server = EmbeddedRedis(data_dir=tmp_path / "redis", persist=False)
    server.start()
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": server.url}}
    yield server
    server.stop()


def dashboard_status(client: Any) -> int:
    return client.get(reverse("dashboard")).status_code


def test_a_user_stays_logged_in_across_a_redis_restart(
    own_redis: EmbeddedRedis, client_for: Any, user: Any
) -> None:
    client = client_for(user)
    assert dashboard_status(client) == 200
    assert get_redis_connection("default").dbsize() > 0  # the session was cached there

    own_redis.restart()
    assert get_redis_connection("default").dbsize() == 0

    assert dashboard_status(client) == 200


def test_a_user_stays_logged_in_across_a_redis_flush(client_for: Any, user: Any) -> None:
    client = client_for(user)
    assert dashboard_status(client) == 200
    get_redis_connection("default").flushdb()
    assert dashboard_status(client) == 200


def test_logging_out_ends_the_session_in_the_database_too(client_for: Any, user: Any) -> None:
    client = client_for(user)
    assert Session.objects.count() == 1
    client.logout()
    assert Session.objects.count() == 0
    assert dashboard_status(client) == 302
