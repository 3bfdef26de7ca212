"""Deployed sites renew logins with the provider (SessionRefresh), but not on the
requests that only the pages' scripts make: those cannot follow the redirect."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

OIDC_BACKEND = "atmo.users.backends.AtmoOIDCAuthenticationBackend"
DEPLOYED_MIDDLEWARE = [*settings.MIDDLEWARE, "mozilla_django_oidc.middleware.SessionRefresh"]


@pytest.fixture
def stale_client(client: Any, user: Any) -> Any:
    """Logged in through the provider, with an ID token that has expired (none on record)."""
    client.force_login(user, backend=OIDC_BACKEND)
    assert "oidc_id_token_expiration" not in client.session
    return client


@override_settings(MIDDLEWARE=DEPLOYED_MIDDLEWARE)
def test_a_stale_session_on_a_page_is_sent_to_the_provider(stale_client: Any) -> None:
    response = stale_client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(settings.OIDC_OP_AUTHORIZATION_ENDPOINT)
    assert "prompt=none" in response["Location"]


@override_settings(MIDDLEWARE=DEPLOYED_MIDDLEWARE)
@pytest.mark.parametrize(
    "name, params",
    [
        ("news-check", {}),
        ("news-list", {}),
        ("jobs-identifier-available", {"identifier": "daily-report"}),
    ],
)
def test_a_stale_session_on_a_scripts_endpoint_gets_its_answer(
    stale_client: Any, name: str, params: dict[str, str]
) -> None:
    response = stale_client.get(reverse(name), params)
    assert response.status_code == 200
    assert "Location" not in response


@override_settings(MIDDLEWARE=DEPLOYED_MIDDLEWARE)
def test_the_pages_head_polling_is_never_redirected(stale_client: Any) -> None:
    response = stale_client.head(reverse("dashboard"))
    assert response.status_code == 200
