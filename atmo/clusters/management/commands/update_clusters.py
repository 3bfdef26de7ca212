"""``manage.py update_clusters``: copy the clusters' states from EMR now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from atmo.clusters.tasks import update_clusters
from atmo.provisioners import AWSError, describe_aws_failure


class Command(BaseCommand):
    """Runs the ``update_clusters`` task's body once, without Celery."""

    help = "Update the state of every active cluster from AWS EMR (one ListClusters call per 50)."

    def handle(self, *args: Any, **options: Any) -> None:
        """Sync the active clusters; an AWS refusal becomes a command error."""
        try:
            # .run() calls the task's body without Celery: no retry, errors surface here.
            updated = update_clusters.run()
        except AWSError as exc:
            raise CommandError(str(describe_aws_failure(exc, "The clusters could not be listed"))) from exc
        self.stdout.write(f"{len(updated)} active cluster(s) updated.")
