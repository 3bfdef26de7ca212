"""Django app configuration of ``atmo.api``."""

from django.apps import AppConfig


class ApiAppConfig(AppConfig):
    """The API app: personal access tokens and the ``/api/v1/`` endpoints."""

    name = "atmo.api"
    label = "api"
    verbose_name = "API"
