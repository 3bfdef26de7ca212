"""The ``atmo`` package as a Django app: its templates, static files and checks."""

from __future__ import annotations

from django.apps import AppConfig


class AtmoAppConfig(AppConfig):
    """The project-wide app (templates of the base pages, tasks, system checks)."""

    name = "atmo"
    verbose_name = "ATMO"

    def ready(self) -> None:
        # Importing the module registers its system checks.
        from atmo import checks  # noqa: F401
