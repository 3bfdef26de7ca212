"""Logging in through a real (local) OpenID Connect provider."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model

from atmo.users.utils import generate_username_from_email, is_allowed_email

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def sign_in(client: Any, email: str) -> Any:
    """Go through the authorization code flow; returns the response of the callback."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    authorize_url = start["Location"]
    # The provider's consent form: the subject we type becomes the email claim.
    approval = requests.post(authorize_url, data={"sub": email}, allow_redirects=False, timeout=10)
    assert approval.status_code == 302, approval.text
    callback = urlsplit(approval.headers["Location"])
    assert callback.path == "/oidc/callback/"
    return client.get(callback.path, {k: v[0] for k, v in parse_qs(callback.query).items()})


@pytest.mark.django_db
def test_first_login_creates_the_user_and_lands_on_the_dashboard(client: Any, oidc_settings: Any) -> None:
    response = sign_in(client, "carol@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = get_user_model().objects.get(email="carol@example.org")
    assert user.username == "carol@example.org"
    assert "Logged in as <strong>carol@example.org</strong>" in client.get("/").content.decode()


@pytest.mark.django_db
def test_users_of_the_short_username_domain_get_their_local_part(client: Any, oidc_settings: Any) -> None:
    oidc_settings.ATMO_SHORT_USERNAME_DOMAIN = "example.org"
    sign_in(client, "dave@example.org")
    assert get_user_model().objects.get(email="dave@example.org").username == "dave"


@pytest.mark.django_db
def test_a_second_login_reuses_the_account(client: Any, oidc_settings: Any) -> None:
    sign_in(client, "erin@example.org")
    client.post("/oidc/logout/")
    sign_in(client, "erin@example.org")
    assert get_user_model().objects.filter(email="erin@example.org").count() == 1


@pytest.mark.django_db
def test_a_refused_domain_gets_a_clear_page_and_no_account(client: Any, oidc_settings: Any) -> None:
    oidc_settings.ATMO_ALLOWED_EMAIL_DOMAINS = ["example.org"]
    response = sign_in(client, "mallory@elsewhere.test")
    assert response.status_code == 302
    assert response["Location"] == "/users/login/failed/"
    page = client.get(response["Location"]).content.decode()
    assert "You could not be logged in" in page
    assert "Accounts from elsewhere.test cannot use ATMO" in page
    assert not get_user_model().objects.filter(email="mallory@elsewhere.test").exists()
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_an_allowed_domain_logs_in(client: Any, oidc_settings: Any) -> None:
    oidc_settings.ATMO_ALLOWED_EMAIL_DOMAINS = ["example.org"]
    assert sign_in(client, "frank@example.org")["Location"] == "/"


@pytest.mark.django_db
def test_logout_ends_the_session(client: Any, oidc_settings: Any) -> None:
    sign_in(client, "grace@example.org")
    response = client.post("/oidc/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "email, short_domain, username",
    [
        ("jane@example.com", "example.com", "jane"),
        ("Jane@Example.COM", "example.com", "Jane"),
        ("jane@example.org", "example.com", "jane@example.org"),
        ("jane@example.com", "", "jane@example.com"),
        ("jane@sub.example.com", "example.com", "jane@sub.example.com"),
    ],
)
def test_generate_username_from_email(settings: Any, email: str, short_domain: str, username: str) -> None:
    settings.ATMO_SHORT_USERNAME_DOMAIN = short_domain
    assert generate_username_from_email(email) == username


def test_allow_list_matches_whole_domains(settings: Any) -> None:
    settings.ATMO_ALLOWED_EMAIL_DOMAINS = ["example.com"]
    assert is_allowed_email("a@example.com")
    assert is_allowed_email("a@EXAMPLE.com")
    assert not is_allowed_email("a@example.com.evil.test")
    assert not is_allowed_email("a@notexample.com")
    assert not is_allowed_email("no-at-sign")
    settings.ATMO_ALLOWED_EMAIL_DOMAINS = []
    assert is_allowed_email("anyone@anywhere.test")
