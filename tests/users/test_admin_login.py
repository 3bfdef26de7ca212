"""``/admin/login/`` goes through single sign-on; a password form only behind the break-glass setting."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core import checks
from django.urls import reverse

from atmo.checks import WARNING_BREAK_GLASS, check_break_glass_login
from atmo.users.views import NOT_STAFF_MESSAGE
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def root() -> Any:
    """A superuser who has a password, e.g. from an old deployment or ``changepassword``."""
    user = UserFactory(username="root@example.org", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def test_the_admin_login_sends_anonymous_visitors_to_single_sign_on_keeping_next(client: Any) -> None:
    response = client.get(ADMIN_LOGIN, {"next": "/admin/clusters/cluster/"})
    assert response.status_code == 302
    assert response["Location"] == "/oidc/authenticate/?next=%2Fadmin%2Fclusters%2Fcluster%2F"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/"])
def test_the_admin_login_passes_on_only_this_sites_pages(client: Any, next_url: str) -> None:
    assert client.get(ADMIN_LOGIN, {"next": next_url})["Location"] == reverse("oidc_authentication_init")


def test_the_admin_login_shows_no_password_form(client: Any, root: Any) -> None:
    response = client.get(ADMIN_LOGIN, follow=False)
    assert response.status_code == 302
    assert 'name="password"' not in response.content.decode()


def test_a_right_password_posted_to_the_admin_login_logs_nobody_in(client: Any, root: Any) -> None:
    response = client.post(ADMIN_LOGIN, {"username": root.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("oidc_authentication_init"))
    assert client.get("/admin/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_no_password_authenticates_anyone_with_the_setting_off(root: Any) -> None:
    assert authenticate(username=root.username, password=PASSWORD) is None


def test_someone_logged_in_without_staff_status_is_told_so_not_looped(client: Any) -> None:
    client.force_login(UserFactory())
    response = client.get(ADMIN_LOGIN, {"next": "/admin/"})
    assert response.status_code == 403
    body = response.content.decode()
    assert NOT_STAFF_MESSAGE in body
    assert 'name="password"' not in body


def test_staff_already_logged_in_go_on_to_the_page_they_asked_for(client: Any, root: Any) -> None:
    client.force_login(root)
    assert client.get(ADMIN_LOGIN, {"next": "/admin/keys/"})["Location"] == "/admin/keys/"
    assert client.get(ADMIN_LOGIN)["Location"] == reverse("admin:index")


def test_break_glass_shows_djangos_password_form_and_lets_a_superuser_in(
    client: Any, settings: Any, root: Any
) -> None:
    settings.ATMO_BREAK_GLASS_PASSWORD_LOGIN = True
    assert 'name="password"' in client.get(ADMIN_LOGIN).content.decode()
    response = client.post(ADMIN_LOGIN, {"username": root.username, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_break_glass_still_refuses_a_wrong_password(client: Any, settings: Any, root: Any) -> None:
    settings.ATMO_BREAK_GLASS_PASSWORD_LOGIN = True
    response = client.post(ADMIN_LOGIN, {"username": root.username, "password": "wrong"})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_break_glass_is_off_by_default_and_warned_about_when_on(settings: Any) -> None:
    assert settings.ATMO_BREAK_GLASS_PASSWORD_LOGIN is False
    assert check_break_glass_login() == []
    settings.ATMO_BREAK_GLASS_PASSWORD_LOGIN = True
    [warning] = check_break_glass_login()
    assert warning.id == WARNING_BREAK_GLASS
    assert warning.level == checks.WARNING
