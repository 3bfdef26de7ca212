"""Django app configuration of ``atmo.clusters``."""

from django.apps import AppConfig


class ClustersConfig(AppConfig):
    """The clusters app: on-demand EMR clusters and EMR releases."""

    name = "atmo.clusters"
    label = "clusters"
    verbose_name = "Clusters"
