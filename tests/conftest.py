"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from constance import config as live
from django.contrib.auth import get_user_model
from django_redis import get_redis_connection


@pytest.fixture(autouse=True)
def clean_redis() -> Iterator[None]:
    """Every test starts with an empty Redis (cache, sessions, live settings, schedule)."""
    connection = get_redis_connection("default")
    connection.flushdb()
    yield
    connection.flushdb()


@pytest.fixture
def user(db: Any) -> Any:
    return get_user_model().objects.create_user(
        username="alice@example.com", email="alice@example.com", password="unused"
    )


@pytest.fixture
def user2(db: Any) -> Any:
    return get_user_model().objects.create_user(
        username="bob@example.com", email="bob@example.com", password="unused"
    )


@pytest.fixture
def client_for(client: Any) -> Any:
    """``client_for(user)``: the test client, logged in as ``user``."""

    def log_in(some_user: Any) -> Any:
        client.force_login(some_user)
        return client

    return log_in


@pytest.fixture
def live_setting() -> Any:
    """``live_setting(NAME=value, ...)``: change constance values for one test."""

    def change(**values: Any) -> None:
        for name, value in values.items():
            setattr(live, name, value)

    return change
