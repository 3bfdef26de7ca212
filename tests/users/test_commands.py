from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_ensure_admin_creates_a_superuser_without_password(capsys: Any) -> None:
    call_command("ensure_admin", "ops@example.org")
    admin = get_user_model().objects.get(email="ops@example.org")
    assert admin.is_staff and admin.is_superuser
    assert not admin.has_usable_password()
    assert admin.username == "ops@example.org"
    assert "created ops@example.org" in capsys.readouterr().out


def test_ensure_admin_promotes_an_existing_user_and_is_repeatable(user: Any, capsys: Any) -> None:
    call_command("ensure_admin", "ALICE@example.com")
    call_command("ensure_admin", "alice@example.com")
    user.refresh_from_db()
    assert user.is_superuser
    assert get_user_model().objects.count() == 1
    out = capsys.readouterr().out
    assert "promoted" in out and "already an administrator" in out


def test_ensure_admin_refuses_something_that_is_not_an_email() -> None:
    with pytest.raises(CommandError, match="is not an email address"):
        call_command("ensure_admin", "not-an-email")


def test_ensure_admin_refuses_a_username_that_belongs_to_another_address(user: Any) -> None:
    # The account alice@example.com logs in as now has another address on file.
    user.email = "alice@elsewhere.example"
    user.save()
    with pytest.raises(CommandError, match="'alice@example.com' that alice@example.com logs in as already"):
        call_command("ensure_admin", "alice@example.com")
    user.refresh_from_db()
    assert not user.is_superuser
    assert get_user_model().objects.count() == 1


def test_ensure_admin_refuses_a_short_username_taken_by_another_domain(settings: Any) -> None:
    settings.ATMO_SHORT_USERNAME_DOMAIN = "example.org"
    get_user_model().objects.create_user(username="jane", email="jane@partner.example")
    with pytest.raises(CommandError, match="belongs to the account of jane@partner.example"):
        call_command("ensure_admin", "jane@example.org")
    assert not get_user_model().objects.filter(is_superuser=True).exists()
