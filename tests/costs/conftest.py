"""Fixtures of the cost tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from atmo.costs.models import forget_cached_rates
from tests.costs.helpers import seed_prices


@pytest.fixture(autouse=True)
def fresh_rates(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test prices with the seeded price table, not with what an earlier test cached or emptied."""
    if request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db" if not _transactional(request) else "transactional_db")
        seed_prices()
    forget_cached_rates()
    yield
    forget_cached_rates()


def _transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction"))
