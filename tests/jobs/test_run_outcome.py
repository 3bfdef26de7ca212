"""A run's parameters, output prefix and outcome.json, read once when the run ends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import ANY
from django.utils import timezone

from atmo.jobs import tasks
from atmo.jobs.models import SparkJob, SparkJobRun
from tests.aws import AWSStubs
from tests.clusters.helpers import emr_cluster
from tests.jobs.conftest import PRIVATE_BUCKET, PUBLIC_BUCKET, body
from tests.jobs.factories import SparkJobRunFactory
from tests.jobs.helpers import stub_run_job_flow

pytestmark = pytest.mark.django_db

PARAMETERS = [
    {"name": "country", "type": "text", "default": "DE"},
    {"name": "limit", "type": "integer", "default": 10},
]
FAILED_OUTCOME = {
    "status": "failed",
    "started_at": "2026-12-07T10:00:00+00:00",
    "finished_at": "2026-12-07T10:00:30+00:00",
    "duration_seconds": 30.0,
    "parameters": {},
    "failure": {
        "cell_index": 3,
        "cell_source": "total = 1 / 0",
        "exception": "ZeroDivisionError",
        "message": "division by zero",
        "traceback": ["Traceback (most recent call last):", "ZeroDivisionError: division by zero"],
    },
    "files": ["counts.csv"],
}


def stub_outcome(aws: AWSStubs, run: SparkJobRun, outcome: Any, bucket: str = PRIVATE_BUCKET) -> None:
    """S3 holds ``outcome`` as the run's outcome.json: a dict as JSON, bytes as they are, None: none."""
    params = {"Bucket": bucket, "Key": f"{run.output_prefix}outcome.json"}
    if outcome is None:
        aws.s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404, params)
        return
    content = outcome if isinstance(outcome, bytes) else json.dumps(outcome).encode()
    aws.s3.add_response("get_object", {"Body": body(content), "ContentLength": len(content)}, params)


def end_run(aws: AWSStubs, state: str = "TERMINATED_WITH_ERRORS") -> None:
    reason = ("STEP_FAILURE", "Step failed") if state == "TERMINATED_WITH_ERRORS" else None
    cluster = emr_cluster("j-RUN", state, ended=timezone.now(), reason=reason)
    aws.emr.add_response("list_clusters", {"Clusters": [cluster]}, {"CreatedAfter": ANY})


def test_a_run_keeps_its_outputs_under_its_own_prefix(spark_job: SparkJob) -> None:
    run = SparkJobRunFactory(spark_job=spark_job)
    assert run.output_prefix == f"daily-report/runs/{run.pk}/"
    assert run.output_location == f"s3://{PRIVATE_BUCKET}/daily-report/runs/{run.pk}/"
    spark_job.result_visibility = SparkJob.RESULT_PUBLIC
    assert run.output_location.startswith(f"s3://{PUBLIC_BUCKET}/")


def test_a_scheduled_run_gets_the_defaults_typed_and_the_built_ins(
    owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    spark_job.parameters = PARAMETERS
    spark_job.save()
    stub_run_job_flow(aws)
    run = spark_job.run()
    assert run is not None
    assert run.requested_by is None
    assert run.notebook_parameters() == {
        "country": "DE",
        "limit": 10,
        "run_date": run.created_at.date().isoformat(),
        "job_identifier": "daily-report",
        "run_id": run.pk,
        "output_location": run.output_location,
    }


def test_a_manual_run_stores_its_overrides_and_who_asked(
    owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    spark_job.parameters = PARAMETERS
    spark_job.save()
    stub_run_job_flow(aws)
    result = spark_job.run_now(requested_by=owner, parameters=spark_job.parameter_values({"limit": "25"}))
    run = SparkJobRun.objects.get(pk=result.run.pk)
    assert run.is_manual and run.requested_by == owner
    assert run.parameters == {"country": "DE", "limit": 25}
    assert run.notebook_parameters()["limit"] == 25


def test_the_run_date_is_the_slot_when_the_run_has_one(spark_job: SparkJob) -> None:
    run = SparkJobRunFactory(spark_job=spark_job)
    run.slot = datetime(2026, 12, 7, 6, tzinfo=UTC)
    assert run.notebook_parameters()["run_date"] == "2026-12-07"


def test_the_status_sync_reads_the_outcome_once_when_the_run_ends(spark_job: SparkJob, aws: AWSStubs) -> None:
    run = SparkJobRunFactory(spark_job=spark_job, status="RUNNING")
    end_run(aws)
    stub_outcome(aws, run, FAILED_OUTCOME)
    tasks.update_jobs_statuses()
    run.refresh_from_db()
    assert run.outcome == FAILED_OUTCOME
    assert run.failure is not None and run.failure["exception"] == "ZeroDivisionError"
    assert run.output_files == ["counts.csv"]
    assert run.notebook_duration is not None and run.notebook_duration.total_seconds() == 30
    # Ended: no further sync, and no further read.
    assert tasks.update_jobs_statuses() == []


@pytest.mark.parametrize("stored", [None, b"not json", b"[1, 2]"])
def test_a_run_without_a_readable_outcome_ends_all_the_same(
    spark_job: SparkJob, aws: AWSStubs, stored: Any
) -> None:
    run = SparkJobRunFactory(spark_job=spark_job, status="RUNNING")
    end_run(aws)
    stub_outcome(aws, run, stored)
    tasks.update_jobs_statuses()
    run.refresh_from_db()
    assert run.is_failed
    assert run.outcome is None
    assert run.failure is None and run.output_files == []


def test_s3_refusing_the_outcome_does_not_hold_up_the_sync(spark_job: SparkJob, aws: AWSStubs) -> None:
    run = SparkJobRunFactory(spark_job=spark_job, status="RUNNING")
    end_run(aws, "TERMINATED")
    aws.s3.add_client_error("get_object", "AccessDenied", "Access Denied", 403)
    tasks.update_jobs_statuses()
    run.refresh_from_db()
    assert run.status == "TERMINATED"
    assert run.outcome is None
