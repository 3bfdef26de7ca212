"""The page where users make and revoke their tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from atmo.api.forms import MESSAGES
from atmo.api.models import AccessToken, hash_token
from tests.api.conftest import issue

pytestmark = pytest.mark.django_db


def form_data(**values: Any) -> dict[str, Any]:
    expires = (timezone.now() + timedelta(days=7)).date().isoformat()
    data = {"name": "laptop CLI", "scope": "read", "expires_on": expires, **values}
    return {f"token-{name}": value for name, value in data.items()}


def test_it_needs_a_login(client: Any) -> None:
    response = client.get(reverse("tokens-list"))
    assert response.status_code == 302


def test_it_shows_a_new_token_once_and_keeps_only_its_hash(client_for: Any, user: Any) -> None:
    client = client_for(user)
    response = client.post(reverse("tokens-list"), form_data(scope="write"))
    assert response.status_code == 201
    secret = response.context["secret"]
    assert secret.startswith("atmo_") and secret in response.content.decode()
    token = AccessToken.objects.get(user=user)
    assert (token.name, token.scope, token.token_hash) == ("laptop CLI", "write", hash_token(secret))
    assert token.expires_at.date() == (timezone.now() + timedelta(days=7)).date()
    again = client.get(reverse("tokens-list"))
    assert secret not in again.content.decode()
    assert token.shown_prefix in again.content.decode()


@pytest.mark.parametrize(
    ("days", "message"), [(0, MESSAGES["past"]), (-3, MESSAGES["past"]), (400, MESSAGES["too_far"])]
)
def test_it_refuses_an_expiry_out_of_range(client_for: Any, user: Any, days: int, message: str) -> None:
    expires = (timezone.now() + timedelta(days=days)).date().isoformat()
    response = client_for(user).post(reverse("tokens-list"), form_data(expires_on=expires))
    assert response.status_code == 200
    assert response.context["form"].errors["expires_on"] == [message]
    assert not AccessToken.objects.exists()


def test_it_asks_for_a_name(client_for: Any, user: Any) -> None:
    response = client_for(user).post(reverse("tokens-list"), form_data(name=""))
    assert response.context["form"].errors["name"] == [MESSAGES["name_required"]]


def test_it_shows_the_error_under_the_field_it_is_about(client_for: Any, user: Any) -> None:
    response = client_for(user).post(reverse("tokens-list"), form_data(name=""))
    page = response.content.decode()
    assert 'id="id_token-name"' in page and 'aria-invalid="true"' in page
    error = MESSAGES["name_required"]
    assert f'<div class="invalid-feedback d-block" id="id_token-name_error">{error}</div>' in page
    assert '<legend class="form-label fs-6 mb-1">Scope</legend>' in page


def test_it_lists_only_the_users_own_tokens(client_for: Any, user: Any, user2: Any) -> None:
    issue(user, name="alice-token")
    issue(user2, name="bob-token")
    page = client_for(user).get(reverse("tokens-list")).content.decode()
    assert "alice-token" in page and "bob-token" not in page


def test_the_owner_revokes_a_token(client_for: Any, user: Any) -> None:
    secret = issue(user)
    token = AccessToken.find(secret)
    response = client_for(user).post(reverse("tokens-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.is_revoked


def test_another_user_can_neither_see_nor_revoke_a_token(client_for: Any, user: Any, user2: Any) -> None:
    token = AccessToken.find(issue(user))
    response = client_for(user2).post(reverse("tokens-revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert not token.is_revoked


def test_revoking_needs_a_post(client_for: Any, user: Any) -> None:
    token = AccessToken.find(issue(user))
    assert client_for(user).get(reverse("tokens-revoke", args=[token.pk])).status_code == 405


def test_the_navigation_links_to_the_page(client_for: Any, user: Any) -> None:
    page = client_for(user).get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("tokens-list")}"' in page


def test_operators_list_and_revoke_any_token_in_the_admin(client_for: Any, user: Any, user2: Any) -> None:
    user2.is_staff = user2.is_superuser = True
    user2.save()
    token = AccessToken.find(issue(user, name="alice-token"))
    client = client_for(user2)
    listing = client.get(reverse("admin:api_accesstoken_changelist"))
    assert "alice-token" in listing.content.decode()
    response = client.post(
        reverse("admin:api_accesstoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.is_revoked
