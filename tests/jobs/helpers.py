"""Rows for the Spark job tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from atmo.clusters.models import EMRRelease
from atmo.jobs.models import SparkJob, SparkJobRun


def make_job(user: Any, **fields: Any) -> SparkJob:
    values: dict[str, Any] = {
        "created_by": user,
        "emr_release": EMRRelease.objects.get_or_create(version="7.1.0")[0],
        "identifier": "daily-report",
        "description": "Counts things every day.",
        "notebook_s3_key": "jobs/daily-report/report.ipynb",
        "size": 2,
        "interval_in_hours": SparkJob.INTERVAL_DAILY,
        "job_timeout": 2,
        "start_date": timezone.now() - timedelta(hours=1),
    }
    values.update(fields)
    return SparkJob.objects.create(**values)


def make_run(job: SparkJob, **fields: Any) -> SparkJobRun:
    values: dict[str, Any] = {
        "jobflow_id": "j-RUN",
        "status": "RUNNING",
        "scheduled_at": timezone.now() - timedelta(minutes=30),
        "emr_release_version": job.emr_release_id,
        "size": job.size,
    }
    values.update(fields)
    return job.runs.create(**values)
