"""``manage.py deactivate_clusters``: terminate expired clusters now (what beat does every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from atmo.clusters.models import Deactivation
from atmo.clusters.tasks import deactivate_clusters


class Command(BaseCommand):
    """Runs the ``deactivate_clusters`` task's body and says what came of each cluster."""

    help = "Terminate the active clusters whose lifetime is over."

    def handle(self, *args: Any, **options: Any) -> None:
        deactivated = deactivate_clusters()
        for identifier, pk, outcome in deactivated:
            self.stdout.write(f"{identifier} (#{pk}): {Deactivation(outcome).summary}")
        self.stdout.write(f"{len(deactivated)} expired cluster(s) deactivated.")
