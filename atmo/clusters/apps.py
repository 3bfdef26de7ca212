from django.apps import AppConfig


class ClustersConfig(AppConfig):
    name = "atmo.clusters"
    label = "clusters"
    verbose_name = "Clusters"
