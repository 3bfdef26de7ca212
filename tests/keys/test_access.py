"""Who may open which key page: login, owner only (403), existing keys only (404)."""

from __future__ import annotations

from typing import Any

import pytest

from atmo.keys.models import SSHKey

OBJECT_ROUTES = ["/keys/{id}/", "/keys/{id}/raw/", "/keys/{id}/delete/"]
ALL_ROUTES = ["/keys/", "/keys/new/", *OBJECT_ROUTES]


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_anonymous_visitors_are_sent_to_the_login_page(client: Any, ssh_key: Any, route: str) -> None:
    response = client.get(route.format(id=ssh_key.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/users/login/?next=/keys/")


@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_another_users_key_is_forbidden(client_for: Any, user: Any, foreign_key: Any, route: str) -> None:
    response = client_for(user).get(route.format(id=foreign_key.pk))

    assert response.status_code == 403
    assert foreign_key.key not in response.content.decode()


def test_posting_to_delete_another_users_key_is_forbidden_and_keeps_it(
    client_for: Any, user: Any, foreign_key: Any
) -> None:
    response = client_for(user).post(f"/keys/{foreign_key.pk}/delete/")

    assert response.status_code == 403
    assert SSHKey.objects.filter(pk=foreign_key.pk).exists()


def test_posting_to_delete_a_missing_key_is_not_found(client_for: Any, user: Any) -> None:
    assert client_for(user).post("/keys/999/delete/").status_code == 404


@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_a_missing_key_is_not_found(client_for: Any, user: Any, ssh_key: Any, route: str) -> None:
    response = client_for(user).get(route.format(id=ssh_key.pk + 1000))

    assert response.status_code == 404


def test_a_superuser_may_open_anyones_key(client_for: Any, user: Any, foreign_key: Any) -> None:
    user.is_superuser = True
    user.save()

    assert client_for(user).get(f"/keys/{foreign_key.pk}/").status_code == 200


@pytest.mark.parametrize("route", ["/keys/", "/keys/{id}/", "/keys/{id}/raw/"])
def test_read_only_pages_refuse_post(client_for: Any, user: Any, ssh_key: Any, route: str) -> None:
    assert client_for(user).post(route.format(id=ssh_key.pk)).status_code == 405


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
@pytest.mark.parametrize("route", ALL_ROUTES)
def test_every_key_page_refuses_methods_it_does_not_handle(
    client_for: Any, user: Any, ssh_key: Any, method: str, route: str
) -> None:
    response = getattr(client_for(user), method)(route.format(id=ssh_key.pk))

    assert response.status_code == 405
    assert SSHKey.objects.filter(pk=ssh_key.pk).exists()
