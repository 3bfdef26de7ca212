"""Fixtures of the monitoring tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def heartbeat(client: Any, settings: Any) -> Any:
    """``heartbeat()``: GET ``/__heartbeat__`` as a load balancer would; returns (status, JSON body)."""
    # A deployed site's view: the liveness details must show without DEBUG.
    settings.DEBUG = False

    def get() -> tuple[int, dict[str, Any]]:
        response = client.get("/__heartbeat__", headers={"x-forwarded-proto": "https"})
        return response.status_code, response.json()

    return get


def message_of(body: dict[str, Any], check: str) -> str:
    """The messages of one failing check, joined."""
    return " ".join(body["details"][check]["messages"].values())
