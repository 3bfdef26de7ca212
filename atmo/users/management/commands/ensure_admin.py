"""``manage.py ensure_admin EMAIL``: the first administrator of a fresh deployment.

The account has no password: its owner logs in through single sign-on with
that email address, and ATMO recognises them by it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from atmo.users.utils import generate_username_from_email


class Command(BaseCommand):
    """``ensure_admin EMAIL``: safe to run at every start-up (``make run`` does)."""

    help = "Create (or promote) the superuser who logs in with the given email address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        """Make the account of ``email`` a superuser, creating it without a password if needed.

        Raises ``CommandError`` for something that is not an email address, and
        when the username the address maps to belongs to another address's account.
        """
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address") from None
        User = get_user_model()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = self.new_user(email)
            action = "created"
        else:
            action = "promoted" if not user.is_superuser else "already an administrator:"
        user.is_staff = user.is_superuser = True
        user.save()
        self.stdout.write(f"{action} {user.get_username()} ({email})")

    def new_user(self, email: str) -> Any:
        """An unsaved account for ``email`` with the username a first login would give it."""
        User = get_user_model()
        username = generate_username_from_email(email)
        # Saving would break the username's uniqueness: the account was renamed at
        # the provider, or ATMO_SHORT_USERNAME_DOMAIN maps two addresses to one name.
        # Promoting that account instead would hand it to someone else.
        holder = User.objects.filter(username=username).first()
        if holder is not None:
            raise CommandError(
                f"the username {username!r} that {email} logs in as already belongs to the "
                f"account of {holder.email or 'no email address'}; change or remove that account "
                "in the admin (Users), then run ensure_admin again"
            )
        user = User(username=username, email=email)
        user.set_unusable_password()
        return user
