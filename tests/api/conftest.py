"""Fixtures of the API tests: tokens of every kind, and a client that sends one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from atmo.api.models import AccessToken


def issue(user: Any, scope: str = AccessToken.Scope.WRITE, **fields: Any) -> str:
    """A new token of ``user``: its secret."""
    fields.setdefault("expires_at", timezone.now() + timedelta(days=30))
    return AccessToken.issue(user, name=fields.pop("name", "tests"), scope=scope, **fields)[1]


def client_with(secret: str | None) -> APIClient:
    client = APIClient()
    if secret is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def api_for() -> Any:
    """``api_for(user, scope="write")``: an API client sending a new token of ``user``."""

    def make(user: Any, scope: str = AccessToken.Scope.WRITE) -> APIClient:
        return client_with(issue(user, scope))

    return make


@pytest.fixture
def api(api_for: Any, user: Any) -> APIClient:
    """Alice's read and write token."""
    return api_for(user)


def assert_problem(response: Any, status: int, detail: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem of ``status`` (with ``detail``, when given)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["type"]
    if detail is not None:
        assert body["detail"] == detail
    return body
