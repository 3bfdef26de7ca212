"""Requests per minute per token, a live setting, answered with 429 and Retry-After past it."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.api.conftest import assert_problem, client_with, issue

pytestmark = pytest.mark.django_db

URL = "/api/v1/ssh-keys/"


def test_it_answers_429_with_retry_after_past_the_limit(user: Any, live_setting: Any) -> None:
    live_setting(API_RATE_LIMIT=3)
    client = client_with(issue(user))
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(URL)
    body = assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["retry_after"] == int(response["Retry-After"])


def test_each_token_has_its_own_count(user: Any, live_setting: Any) -> None:
    live_setting(API_RATE_LIMIT=1)
    first, second = client_with(issue(user)), client_with(issue(user))
    assert first.get(URL).status_code == 200
    assert first.get(URL).status_code == 429
    assert second.get(URL).status_code == 200


def test_a_changed_setting_applies_at_once(user: Any, live_setting: Any) -> None:
    live_setting(API_RATE_LIMIT=1)
    client = client_with(issue(user))
    client.get(URL)
    assert client.get(URL).status_code == 429
    live_setting(API_RATE_LIMIT=0)  # off
    assert client.get(URL).status_code == 200


def test_it_fails_open_when_redis_is_down(user: Any, live_setting: Any) -> None:
    live_setting(API_RATE_LIMIT=1)
    client = client_with(issue(user))
    client.get(URL)
    with mock.patch("atmo.api.throttling.get_redis_connection", side_effect=RedisConnectionError("down")):
        assert client.get(URL).status_code == 200
