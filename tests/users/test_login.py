"""Logging in through a real (local) OpenID Connect provider."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model

from atmo.users.utils import generate_username_from_email, is_allowed_email

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def sign_in(client: Any, email: str, start_url: str = "/oidc/authenticate/") -> Any:
    """Go through the authorization code flow; returns the response of the callback."""
    start = client.get(start_url)
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


def sign_in_link(client: Any, login_page_url: str) -> str:
    """The href of the login page's "Sign in with single sign-on" button."""
    page = client.get(login_page_url).content.decode()
    match = re.search(r'href="([^"]+)" data-testid="sign-in"', page)
    assert match is not None
    return html.unescape(match.group(1))


@pytest.mark.django_db
def test_a_deep_link_survives_the_login(client: Any, oidc_settings: Any) -> None:
    # login_required sent the visitor to the login page with the page they asked for.
    asked_for = "/jobs/new/?from=bookmark"
    login_page = client.get(asked_for)["Location"]
    link = sign_in_link(client, login_page)
    assert link == "/oidc/authenticate/?" + urlencode({"next": asked_for})

    response = sign_in(client, "frank@example.org", start_url=link)

    assert response["Location"] == asked_for


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", ""])
def test_the_sign_in_link_passes_on_only_this_sites_pages(client: Any, next_url: str) -> None:
    assert sign_in_link(client, "/users/login/?" + urlencode({"next": next_url})) == "/oidc/authenticate/"


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
