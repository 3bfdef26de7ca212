"""The load benchmark's bare view exists only while ATMO_BENCHMARK_BARE_VIEW is on."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import NoReverseMatch, clear_url_caches, reverse

import atmo.urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare_view_on(settings: Any) -> Iterator[None]:
    settings.ATMO_BENCHMARK_BARE_VIEW = True
    importlib.reload(atmo.urls)
    clear_url_caches()
    yield
    settings.ATMO_BENCHMARK_BARE_VIEW = False
    importlib.reload(atmo.urls)
    clear_url_caches()


def test_off_by_default(settings: Any, client_for: Any, user: Any) -> None:
    assert settings.ATMO_BENCHMARK_BARE_VIEW is False
    with pytest.raises(NoReverseMatch):
        reverse("bench-bare")
    assert client_for(user).get("/_bench/bare/").status_code == 404


def test_on_it_answers_a_logged_in_user_with_nothing_of_its_own(
    bare_view_on: None, client_for: Any, user: Any
) -> None:
    response = client_for(user).get(reverse("bench-bare"))

    assert response.status_code == 200
    assert response.content == b"bare\n"
    # It passes the site's middleware as the pages do.
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


def test_on_it_still_wants_a_login(bare_view_on: None, client: Any) -> None:
    response = client.get("/_bench/bare/")
    assert response.status_code == 302
    assert response["Location"].startswith("/users/login/")


def test_off_again_after_it_was_on(bare_view_on: None, settings: Any, client_for: Any, user: Any) -> None:
    settings.ATMO_BENCHMARK_BARE_VIEW = False
    importlib.reload(atmo.urls)
    clear_url_caches()
    assert client_for(user).get("/_bench/bare/").status_code == 404
