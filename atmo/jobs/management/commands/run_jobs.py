"""``manage.py run_jobs``: start every Spark job whose slot has come, now, in this process.

What the dispatcher (:func:`atmo.jobs.tasks.dispatch_jobs`) sends to the
workers; useful when no worker or scheduler is there. A job with a run under
way is skipped, as a worker would.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from atmo.jobs.models import SparkJob
from atmo.jobs.tasks import run_job
from atmo.provisioners import AWSError, describe_aws_failure


class Command(BaseCommand):
    """``manage.py run_jobs``: see the module docstring."""

    help = "Start a run of every enabled Spark job that is due by its schedule."

    def handle(self, *args: Any, **options: Any) -> None:
        started = 0
        now = timezone.now()
        for spark_job in SparkJob.objects.scheduled().with_latest_slot():
            slot = spark_job.schedule.next_slot(now)
            if slot is None or slot > now:
                continue
            outcome = self.run_one(spark_job, slot.isoformat())
            started += outcome == "started"
            self.stdout.write(f"{spark_job.identifier}: {outcome}")
        self.stdout.write(f"{started} job run(s) started.")

    def run_one(self, spark_job: SparkJob, slot: str) -> str:
        try:
            return run_job.run(spark_job.pk, slot=slot)
        except AWSError as exc:
            return str(describe_aws_failure(exc, "not started"))
