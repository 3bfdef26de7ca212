"""Django app configuration of ``atmo.monitoring``."""

from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Connects the Celery signal receivers once the apps are loaded (web, worker and scheduler alike)."""

    name = "atmo.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from atmo.monitoring import signals

        signals.connect()
