"""The ``atmo`` package as a Django app: its templates, static files and checks."""

from __future__ import annotations

from django.apps import AppConfig


class AtmoAppConfig(AppConfig):
    """The project-wide app (templates of the base pages, tasks, system checks)."""

    name = "atmo"
    verbose_name = "ATMO"

    def ready(self) -> None:
        """Register the system checks of :mod:`atmo.checks` once the apps are loaded."""
        # Registers the configuration checks (provisioner settings, Redis).
        from atmo import checks  # noqa: F401
