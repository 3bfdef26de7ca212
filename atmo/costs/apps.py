"""Django app configuration of ``atmo.costs``."""

from django.apps import AppConfig


class CostsConfig(AppConfig):
    """The costs app: prices, estimates, what job flows cost, budgets."""

    name = "atmo.costs"
    label = "costs"
    verbose_name = "Costs"
