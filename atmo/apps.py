from __future__ import annotations

from django.apps import AppConfig


class AtmoAppConfig(AppConfig):
    name = "atmo"
    verbose_name = "ATMO"

    def ready(self) -> None:
        # Registers the configuration checks (provisioner settings, Redis).
        from atmo import checks  # noqa: F401
