"""The ``atmo`` package as a Django app: its templates, static files and checks."""

from __future__ import annotations

from constance.signals import config_updated
from django.apps import AppConfig
from django.db import connections
from django.db.backends.signals import connection_created


class AtmoAppConfig(AppConfig):
    """The project-wide app (templates of the base pages, tasks, system checks)."""

    name = "atmo"
    verbose_name = "ATMO"

    def ready(self) -> None:
        # Importing the module registers its system checks.
        from atmo import (
            checks,  # noqa: F401
            stamps,
        )

        # Every write through Django's connections renews the change stamp of its table's topic.
        connection_created.connect(stamps.watch_writes, dispatch_uid="atmo-stamps")
        for connection in connections.all(initialized_only=True):
            stamps.watch_writes(None, connection)
        config_updated.connect(stamps.live_setting_changed, dispatch_uid="atmo-live-settings")
