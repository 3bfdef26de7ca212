"""Django app configuration of ``atmo.keys``."""

from django.apps import AppConfig


class KeysAppConfig(AppConfig):
    """The keys app: users' public SSH keys."""

    name = "atmo.keys"
    label = "keys"
    verbose_name = "Keys"
