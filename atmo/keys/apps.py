from django.apps import AppConfig


class KeysAppConfig(AppConfig):
    name = "atmo.keys"
    label = "keys"
    verbose_name = "Keys"
