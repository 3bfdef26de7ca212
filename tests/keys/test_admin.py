"""The SSH key admin: the site's validation rules, a fixed owner, useful filters and columns."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from atmo.keys.models import SSHKey
from tests.keys.factories import SSHKeyFactory, public_key

ADD_URL = "/admin/keys/sshkey/add/"
LIST_URL = "/admin/keys/sshkey/"


# ``admin_client`` is pytest-django's client, logged in as a superuser.


def test_a_superuser_can_list_search_and_open_keys_in_the_admin(
    admin_client: Any, ssh_key: Any, foreign_key: Any
) -> None:
    listing = admin_client.get(LIST_URL)
    found = admin_client.get(LIST_URL, {"q": foreign_key.fingerprint})
    change = admin_client.get(f"/admin/keys/sshkey/{ssh_key.pk}/change/")

    assert listing.status_code == 200
    assert ssh_key.fingerprint in listing.content.decode()
    assert list(found.context["cl"].result_list) == [foreign_key]
    assert change.status_code == 200


@pytest.mark.parametrize(
    "key, message",
    [
        ("garbage", "The key is invalid or misformatted."),
        ("ssh-rsa AAAA", "The key is invalid or misformatted."),
        ("", "This field is required."),
    ],
)
def test_adding_a_bad_key_shows_the_form_error_instead_of_failing(
    admin_client: Any, user2: Any, key: str, message: str
) -> None:
    response = admin_client.post(ADD_URL, {"title": "bad", "key": key, "created_by": user2.pk})

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["key"])
    assert not SSHKey.objects.exists()


def test_adding_a_good_key_stores_it_stripped_with_its_fingerprint(admin_client: Any, user2: Any) -> None:
    line = public_key("ssh-rsa")

    response = admin_client.post(ADD_URL, {"title": "desk", "key": f"  {line}\n", "created_by": user2.pk})

    assert response.status_code == 302
    ssh_key = SSHKey.objects.get()
    assert (ssh_key.created_by, ssh_key.key) == (user2, line)
    assert ssh_key.fingerprint
    assert user2.has_perm("keys.view_sshkey", ssh_key)


def test_adding_a_key_its_owner_already_has_names_the_existing_one(
    admin_client: Any, foreign_key: Any
) -> None:
    response = admin_client.post(
        ADD_URL, {"title": "again", "key": foreign_key.key, "created_by": foreign_key.created_by_id}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["key"] == ["You already added this key as bob's laptop."]
    assert SSHKey.objects.count() == 1


def test_the_owner_is_read_only_once_the_key_exists(admin_client: Any, foreign_key: Any, user: Any) -> None:
    url = f"/admin/keys/sshkey/{foreign_key.pk}/change/"
    assert "created_by" not in admin_client.get(url).context["adminform"].form.fields

    response = admin_client.post(url, {"title": "renamed", "key": foreign_key.key, "created_by": user.pk})

    assert response.status_code == 302
    foreign_key.refresh_from_db()
    assert (foreign_key.title, foreign_key.created_by.username) == ("renamed", "bob@example.com")


def test_editing_a_key_into_garbage_is_refused(admin_client: Any, ssh_key: Any) -> None:
    response = admin_client.post(f"/admin/keys/sshkey/{ssh_key.pk}/change/", {"title": "t", "key": "garbage"})

    assert response.status_code == 200
    ssh_key.refresh_from_db()
    assert ssh_key.key.startswith("ssh-ed25519 ")


def test_the_list_shows_owner_fingerprint_type_and_date(admin_client: Any, ssh_key: Any) -> None:
    changelist = admin_client.get(LIST_URL).context["cl"]

    assert {"created_by", "fingerprint", "key_type", "created_at"} <= set(changelist.list_display)
    assert "ssh-ed25519" in admin_client.get(LIST_URL).content.decode()


def test_the_list_filters_by_key_type_and_creation_date(admin_client: Any, user: Any) -> None:
    rsa = SSHKeyFactory(created_by=user, key=public_key("ssh-rsa"))
    ecdsa = SSHKeyFactory(created_by=user, key=public_key("ecdsa-sha2-nistp256"))
    SSHKey.objects.filter(pk=ecdsa.pk).update(created_at=timezone.now() - timedelta(days=40))

    def shown(params: dict[str, str]) -> list[SSHKey]:
        return list(admin_client.get(LIST_URL, params).context["cl"].result_list)

    assert shown({"key_type": "ssh-rsa"}) == [rsa]
    assert shown({"key_type": "ecdsa-sha2-nistp256"}) == [ecdsa]
    assert shown({"key_type": "ssh-ed25519"}) == []
    week_ago = timezone.now() - timedelta(days=7)
    assert shown({"created_at__gte": week_ago.isoformat()}) == [rsa]
