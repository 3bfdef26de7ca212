"""The jobs app's configuration."""

from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Scheduled Spark jobs: their runs, alerts and schedule entries."""

    name = "atmo.jobs"
    label = "jobs"
    verbose_name = "Jobs"
