from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "atmo.users"
    label = "users"
    verbose_name = "Users"
