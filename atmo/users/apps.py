"""The users app: login pages, the OIDC backend, the user admin and ``ensure_admin``."""

from django.apps import AppConfig


class UsersConfig(AppConfig):
    """Configuration of the users app (label ``users``)."""

    name = "atmo.users"
    label = "users"
    verbose_name = "Users"
