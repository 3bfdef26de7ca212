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
    help = "Create (or promote) the superuser who logs in with the given email address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address") from None
        User = get_user_model()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(username=generate_username_from_email(email), email=email)
            user.set_unusable_password()
            action = "created"
        else:
            action = "promoted" if not user.is_superuser else "already an administrator:"
        user.is_staff = user.is_superuser = True
        user.save()
        self.stdout.write(f"{action} {user.get_username()} ({email})")
