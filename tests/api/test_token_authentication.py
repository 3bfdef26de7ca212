"""Who a token acts for, and when it stops working."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from atmo.api.authentication import REFUSALS
from atmo.api.models import LAST_USED_PRECISION, AccessToken, hash_token
from atmo.users.backends import ACCOUNT_DISABLED_MESSAGE
from tests.api.conftest import assert_problem, client_with, issue

pytestmark = pytest.mark.django_db

URL = "/api/v1/ssh-keys/"


def test_it_stores_only_a_hash_of_a_recognisable_secret(user: Any) -> None:
    token, secret = AccessToken.issue(user, name="laptop")
    assert secret.startswith("atmo_") and len(secret) > 40
    assert token.token_hash == hash_token(secret) != secret
    stored = AccessToken.objects.filter(pk=token.pk).values().first()
    assert secret not in {str(value) for value in stored.values()}
    assert secret.startswith(token.shown_prefix)


def test_it_acts_for_the_tokens_user(user: Any) -> None:
    response = client_with(issue(user)).get(URL)
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer atmo_not-a-token", REFUSALS["invalid"]),
        ("Bearer something-else", REFUSALS["invalid"]),
        ("Bearer", REFUSALS["invalid"]),
        ("Bearer a b", REFUSALS["invalid"]),
    ],
)
def test_it_refuses_a_bad_token_with_401(header: str, detail: str) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(URL)
    assert_problem(response, 401, detail)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_no_credentials_with_401() -> None:
    assert_problem(client_with(None).get(URL), 401, "Authentication credentials were not provided.")


def test_a_revoked_token_stops_at_once(user: Any) -> None:
    secret = issue(user)
    client = client_with(secret)
    assert client.get(URL).status_code == 200
    AccessToken.find(secret).revoke()
    assert_problem(client.get(URL), 401, REFUSALS["revoked"])


def test_an_expired_token_is_refused(user: Any) -> None:
    secret = issue(user, expires_at=timezone.now() - timedelta(seconds=1))
    assert_problem(client_with(secret).get(URL), 401, REFUSALS["expired"])


def test_a_disabled_accounts_tokens_stop_at_once(user: Any) -> None:
    client = client_with(issue(user))
    assert client.get(URL).status_code == 200
    user.is_active = False
    user.save()
    assert_problem(client.get(URL), 403, ACCOUNT_DISABLED_MESSAGE)


def test_a_read_only_token_reads_but_does_not_write(user: Any) -> None:
    client = client_with(issue(user, AccessToken.Scope.READ))
    assert client.get(URL).status_code == 200
    body = assert_problem(client.post(URL, {"key": "ssh-ed25519 AAAA"}, format="json"), 403)
    assert "read-only" in body["detail"]


def test_it_records_the_last_use_at_most_once_a_minute(user: Any, django_assert_num_queries: Any) -> None:
    secret = issue(user)
    client = client_with(secret)
    client.get(URL)
    first = AccessToken.find(secret).last_used_at
    assert first is not None
    # Within the minute: the token is read, never written (the disabled-account
    # middleware's check, the token with its user, the list of keys).
    with django_assert_num_queries(3):
        client.get(URL)
    assert AccessToken.find(secret).last_used_at == first
    AccessToken.objects.filter(token_hash=hash_token(secret)).update(
        last_used_at=first - LAST_USED_PRECISION - timedelta(seconds=1)
    )
    client.get(URL)
    assert AccessToken.find(secret).last_used_at > first
