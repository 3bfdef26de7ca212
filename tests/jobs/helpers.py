"""Commits, a broken mail server and EMR answers for the Spark job tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from smtplib import SMTPServerDisconnected
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.test import TestCase

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
