from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "atmo.stats"
    label = "stats"
    verbose_name = "Stats"
