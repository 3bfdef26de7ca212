"""Rows, commits, an unreachable AWS and a broken mail server for the Spark job tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from smtplib import SMTPServerDisconnected
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.test import TestCase
from django.utils import timezone

from atmo.clusters.models import EMRRelease
from atmo.jobs.models import SparkJob, SparkJobRun
from tests.aws import AWSStubs


@contextmanager
def committed() -> Iterator[list[Callable[[], Any]]]:
    """Run what the block leaves for after the commit (schedule entries), as a commit would.

    Tests run in a transaction that never commits; without this the job's redbeat
    entry would never be written.
    """
    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        yield callbacks


def save_committed(job: SparkJob) -> None:
    """``job.save()``, followed by what its commit does."""
    with committed():
        job.save()


def job_values(user: Any, **fields: Any) -> dict[str, Any]:
    """The fields of a daily job of ``user`` that started an hour ago, with ``fields`` changed."""
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
    return values


def make_job(user: Any, **fields: Any) -> SparkJob:
    """A saved job (see :func:`job_values`), with its schedule entry as a commit leaves it."""
    with committed():
        return SparkJob.objects.create(**job_values(user, **fields))


def make_run(job: SparkJob, **fields: Any) -> SparkJobRun:
    """A run of ``job``, running for half an hour unless ``fields`` say otherwise."""
    values: dict[str, Any] = {
        "jobflow_id": "j-RUN",
        "status": "RUNNING",
        "scheduled_at": timezone.now() - timedelta(minutes=30),
        "emr_release_version": job.emr_release_id,
        "size": job.size,
    }
    values.update(fields)
    return job.runs.create(**values)


class BrokenEmailBackend(BaseEmailBackend):
    """An email backend whose mail server is down (``settings.EMAIL_BACKEND`` in tests)."""

    def send_messages(self, email_messages: Any) -> int:
        raise SMTPServerDisconnected("Connection unexpectedly closed")


def stub_find_run_cluster(aws: AWSStubs, run: SparkJobRun, jobflow_id: str | None) -> None:
    """EMR lists a job flow of the run's job, tagged for ``run`` (``jobflow_id``) or for another run."""
    run.refresh_from_db()
    job = run.spark_job
    name = f"atmo-test-job-{job.created_by.username}-{job.identifier}"
    listed_id = jobflow_id or "j-OTHER-RUN"
    aws.emr.add_response(
        "list_clusters",
        {"Clusters": [{"Id": listed_id, "Name": name, "Status": {"State": "RUNNING"}}]},
        {"CreatedAfter": run.created_at - timedelta(minutes=5)},
    )
    tagged_run = run.pk if jobflow_id else run.pk + 1000
    aws.emr.add_response(
        "describe_cluster",
        {
            "Cluster": {
                "Id": listed_id,
                "Name": name,
                "Status": {"State": "RUNNING"},
                "Tags": [
                    {"Key": "Name", "Value": job.identifier},
                    {"Key": "SparkJobRun", "Value": str(tagged_run)},
                ],
            }
        },
        {"ClusterId": listed_id},
    )


def stub_run_job_flow(aws: AWSStubs, jobflow_id: str = "j-NOW") -> None:
    """EMR starts the cluster of a run as ``jobflow_id`` (after the Spark configuration is read)."""
    aws.add_spark_configuration()
    aws.emr.add_response("run_job_flow", {"JobFlowId": jobflow_id}, None)
