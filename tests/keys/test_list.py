"""The key list: own keys only, newest first, and a constant number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.keys.factories import SSHKeyFactory


def test_it_lists_only_the_users_own_keys(client_for: Any, user: Any, ssh_key: Any, foreign_key: Any) -> None:
    response = client_for(user).get("/keys/")

    assert response.status_code == 200
    assert list(response.context["ssh_keys"]) == [ssh_key]
    body = response.content.decode()
    assert foreign_key.title not in body
    assert foreign_key.sha256_fingerprint not in body


def test_it_shows_title_link_type_fingerprint_date_and_delete_button(
    client_for: Any, user: Any, ssh_key: Any
) -> None:
    body = client_for(user).get("/keys/").content.decode()

    assert f'href="/keys/{ssh_key.pk}/">laptop</a>' in body
    assert ">ED25519</td>" in body
    assert ssh_key.sha256_fingerprint in body
    assert ssh_key.created_at.strftime("%Y-%m-%d %H:%M") in body
    assert f'href="/keys/{ssh_key.pk}/delete/"' in body


def test_it_lists_the_newest_key_first(client_for: Any, user: Any) -> None:
    now = timezone.now()
    old = SSHKeyFactory(created_by=user, created_at=now - timedelta(days=2))
    new = SSHKeyFactory(created_by=user, created_at=now)
    middle = SSHKeyFactory(created_by=user, created_at=now - timedelta(days=1))

    response = client_for(user).get("/keys/")

    assert list(response.context["ssh_keys"]) == [new, middle, old]


def test_an_empty_list_invites_to_add_a_key(client_for: Any, user: Any) -> None:
    body = client_for(user).get("/keys/").content.decode()

    assert "No SSH keys yet. Add one to launch clusters." in body
    assert 'href="/keys/new/"' in body


def test_the_navigation_marks_ssh_keys_as_the_current_section(client_for: Any, user: Any) -> None:
    body = client_for(user).get("/keys/").content.decode()

    assert '<a class="nav-link active" href="/keys/">SSH keys</a>' in body


def test_the_number_of_queries_does_not_grow_with_the_number_of_keys(client_for: Any, user: Any) -> None:
    client = client_for(user)

    def queries_for_list_of(count: int) -> int:
        while user.created_sshkeys.count() < count:
            SSHKeyFactory(created_by=user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/keys/").status_code == 200
        return len(captured)

    assert queries_for_list_of(3) == queries_for_list_of(30)
