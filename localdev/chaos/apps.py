"""The app that puts chaos mode in place once Django is ready (see :mod:`localdev.chaos.patches`)."""

from __future__ import annotations

from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class ChaosConfig(AppConfig):
    name = "localdev.chaos"
    label = "chaos"

    def ready(self) -> None:
        from localdev.chaos import patches

        # Only localdev.chaos.settings defines these; elsewhere time runs as usual.
        patches.compress_time(getattr(settings, "ATMO_CHAOS_HOUR_SECONDS", 3600))
        chaos_dir = getattr(settings, "ATMO_CHAOS_DIR", "")
        if chaos_dir and getattr(settings, "ATMO_CHAOS_ROLE", "") == "worker":
            patches.install_kill_points(Path(chaos_dir))
