"""The dockerflow endpoints, with the real database and Redis behind them."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.db.utils import OperationalError

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        # Nothing listens on port 1: connecting fails at once.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }
}


@pytest.fixture
def heartbeat_settings(settings: Any) -> Any:
    # The details of these checks show only with DEBUG on.
    settings.DEBUG = True
    # The scheduler, sweeps and workers have their own tests (tests/monitoring).
    settings.ATMO_LIVENESS_CHECKS = []
    return settings


@pytest.mark.django_db
def test_heartbeat_passes_when_database_and_redis_answer(client: Any, heartbeat_settings: Any) -> None:
    response = client.get("/__heartbeat__")
    assert response.status_code == 200, response.json()
    checks = response.json()["checks"]
    assert checks["check_database_connected"] == "ok"
    assert checks["check_redis_connected"] == "ok"


@pytest.mark.django_db
def test_heartbeat_fails_when_redis_is_down(client: Any, heartbeat_settings: Any) -> None:
    heartbeat_settings.CACHES = UNREACHABLE_REDIS
    heartbeat_settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    response = client.get("/__heartbeat__")
    assert response.status_code == 500
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["check_redis_connected"] == "error"
    assert "Could not connect to redis" in str(body["details"])


@pytest.mark.django_db
def test_heartbeat_fails_when_the_database_is_down(client: Any, heartbeat_settings: Any) -> None:
    with mock.patch.object(
        connection, "ensure_connection", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/__heartbeat__")
    assert response.status_code == 500
    assert response.json()["checks"]["check_database_connected"] == "error"


def test_lbheartbeat_answers_without_touching_any_store(client: Any) -> None:
    assert client.get("/__lbheartbeat__").status_code == 200


def test_version_reports_release_commit_and_build(client: Any, settings: Any, tmp_path) -> None:
    from atmo.version import get_version

    (tmp_path / "version.json").write_text(
        '{"version": "2026.11.0", "commit": "abc1234def", "source": "https://example.org/atmo", '
        '"build": "https://ci.example.org/1"}'
    )
    settings.BASE_DIR = tmp_path
    get_version.cache_clear()
    try:
        response = client.get("/__version__")
    finally:
        get_version.cache_clear()
    assert response.status_code == 200
    assert response.json() == {
        "version": "2026.11.0",
        "commit": "abc1234def",
        "source": "https://example.org/atmo",
        "build": "https://ci.example.org/1",
    }


def test_version_of_a_checkout_is_the_calver_release_being_worked_on(client: Any, settings: Any) -> None:
    from atmo.version import get_version

    with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as pyproject:
        release = tomllib.load(pyproject)["project"]["version"]
    get_version.cache_clear()
    body = client.get("/__version__").json()
    assert body["version"] == f"{release}-dev"
    assert body["build"] == "local"
    assert len(body["commit"]) in (0, 40)
