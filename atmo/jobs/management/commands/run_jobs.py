"""``manage.py run_jobs``: start every Spark job whose scheduled time has come.

What the redbeat scheduler does on its own; useful when beat was down, or to
catch up by hand. A job with a run under way is skipped, as beat would.
"""

from __future__ import annotations

from typing import Any

from celery.exceptions import Retry
from django.core.management.base import BaseCommand
from django.utils import timezone

from atmo.jobs.models import SparkJob
from atmo.jobs.tasks import run_job
from atmo.provisioners import AWSError, describe_aws_failure


class Command(BaseCommand):
    """``manage.py run_jobs``: see the module docstring."""

    help = "Start a run of every enabled Spark job that is due by its schedule."

    def handle(self, *args: Any, **options: Any) -> None:
        """Run each enabled job whose entry beat would send now, and report each."""
        started = 0
        for spark_job in SparkJob.objects.filter(is_enabled=True, expired_date__isnull=True):
            entry = spark_job.schedule.get()
            if entry is None or not entry.is_due().is_due:
                continue
            outcome = self.run_one(spark_job)
            if outcome == "started":
                # As beat does after sending: the next run counts from now.
                entry.reschedule(last_run_at=timezone.now())
                started += 1
            self.stdout.write(f"{spark_job.identifier}: {outcome}")
        self.stdout.write(f"{started} job run(s) started.")

    def run_one(self, spark_job: SparkJob) -> str:
        """What ``run_job`` did with the job, in words (``started``, ``busy``…)."""
        try:
            return run_job.run(spark_job.pk)
        except Retry:
            return "busy (a run is under way)"
        except AWSError as exc:
            return str(describe_aws_failure(exc, "not started"))
