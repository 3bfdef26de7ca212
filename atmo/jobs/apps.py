from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "atmo.jobs"
    label = "jobs"
    verbose_name = "Jobs"
