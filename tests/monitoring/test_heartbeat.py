"""The heartbeat's own behaviour: what it shows, what it remembers, and a load balancer's cheap check."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_redis import get_redis_connection

from atmo.monitoring import heartbeat as heartbeat_module
from atmo.monitoring import liveness
from tests.monitoring.conftest import message_of

SCHEDULER_ONLY = ["atmo.monitoring.checks.check_scheduler_beating"]


@pytest.mark.django_db
def test_the_scheduler_is_unknown_when_redis_lost_its_beat(heartbeat: Any, settings: Any) -> None:
    settings.ATMO_LIVENESS_CHECKS = SCHEDULER_ONLY
    liveness.record_beat()
    assert heartbeat()[0] == 200

    get_redis_connection("default").flushdb()

    status, body = heartbeat()
    assert status == 500
    assert body["checks"]["check_scheduler_beating"] == "error"
    assert "no beat recorded (unknown" in message_of(body, "check_scheduler_beating")


@pytest.mark.django_db
def test_without_debug_only_the_liveness_details_show(heartbeat: Any, settings: Any) -> None:
    settings.ATMO_LIVENESS_CHECKS = SCHEDULER_ONLY
    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    status, body = heartbeat()
    assert status == 500
    assert body["checks"]["check_redis_connected"] == "error"
    assert body["checks"]["check_scheduler_beating"] == "error"
    # The Redis check's message names the host; the scheduler's only says what and how long.
    assert set(body["details"]) == {"check_scheduler_beating"}


@pytest.mark.django_db
def test_applied_migrations_are_checked_once_per_process(heartbeat: Any, settings: Any) -> None:
    settings.ATMO_LIVENESS_CHECKS = []
    heartbeat_module._passed_once.clear()
    with CaptureQueriesContext(connection) as first:
        status, body = heartbeat()
    assert status == 200
    with CaptureQueriesContext(connection) as second:
        status, body = heartbeat()
    assert status == 200
    assert body["checks"]["check_migrations_applied"] == "ok"
    assert any("django_migrations" in query["sql"] for query in first.captured_queries)
    assert not any("django_migrations" in query["sql"] for query in second.captured_queries)


def test_lbheartbeat_answers_with_the_database_and_redis_out_of_reach(client: Any, settings: Any) -> None:
    # No django_db mark: any query fails the test. Redis points nowhere.
    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    assert client.get("/__lbheartbeat__").status_code == 200
