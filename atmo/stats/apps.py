"""Django app configuration of ``atmo.stats``."""

from django.apps import AppConfig


class StatsConfig(AppConfig):
    """The stats app: usage metrics."""

    name = "atmo.stats"
    label = "stats"
    verbose_name = "Stats"
