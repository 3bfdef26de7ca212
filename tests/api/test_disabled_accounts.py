"""A disabled account's API requests get a problem saying why, whatever they carry, wherever they go."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from rest_framework.test import APIClient

from atmo.api.authentication import is_disabled_token
from atmo.api.models import AccessToken
from atmo.keys.models import SSHKey
from atmo.users.backends import ACCOUNT_DISABLED_MESSAGE
from tests.api.conftest import assert_problem, client_with, issue
from tests.keys.factories import SSHKeyFactory

pytestmark = pytest.mark.django_db

OIDC_BACKEND = "atmo.users.backends.AtmoOIDCAuthenticationBackend"
PATHS = ["/api/v1/ssh-keys/", "/api/v1/openapi.json", "/api/v1/nothing-here/", "/api/v2/"]


def disable(user: Any) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


@pytest.mark.parametrize("path", PATHS)
def test_a_disabled_accounts_session_gets_a_403_problem_and_is_ended(user: Any, path: str) -> None:
    client = APIClient()
    client.force_login(user, backend=OIDC_BACKEND)
    disable(user)
    assert_problem(client.get(path), 403, ACCOUNT_DISABLED_MESSAGE)
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("path", PATHS)
def test_a_disabled_accounts_token_gets_a_403_problem_on_any_api_path(user: Any, path: str) -> None:
    client = client_with(issue(user))
    disable(user)
    assert_problem(client.get(path), 403, ACCOUNT_DISABLED_MESSAGE)


def test_a_disabled_accounts_write_changes_nothing(user: Any) -> None:
    key = SSHKeyFactory(created_by=user)
    client = client_with(issue(user))
    disable(user)
    assert_problem(client.delete(f"/api/v1/ssh-keys/{key.pk}/"), 403, ACCOUNT_DISABLED_MESSAGE)
    assert SSHKey.objects.filter(pk=key.pk).exists()


def test_the_pages_still_get_the_disabled_page_not_a_problem(client: Any, user: Any) -> None:
    client.force_login(user, backend=OIDC_BACKEND)
    disable(user)
    response = client.get("/keys/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert ACCOUNT_DISABLED_MESSAGE in response.content.decode()


def test_only_a_token_of_a_disabled_account_counts(rf: Any, user: Any, user2: Any) -> None:
    secret = issue(user)
    other = issue(user2)
    disable(user)
    assert is_disabled_token(rf.get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {secret}"))
    assert not is_disabled_token(rf.get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {other}"))
    assert not is_disabled_token(rf.get("/api/v1/", HTTP_AUTHORIZATION="Bearer"))
    assert not is_disabled_token(rf.get("/api/v1/", HTTP_AUTHORIZATION=f"Token {secret}"))
    assert AccessToken.objects.count() == 2
