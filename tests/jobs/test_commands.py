from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.aws import AWSStubs
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory

pytestmark = pytest.mark.django_db


def test_run_jobs_starts_due_jobs_only(user: Any, aws: AWSStubs, capsys: Any) -> None:
    due = SparkJobFactory(created_by=user, identifier="due")
    SparkJobFactory(created_by=user, identifier="later", start_date=timezone.now() + timedelta(days=1))
    SparkJobFactory(created_by=user, identifier="disabled", is_enabled=False)
    aws.add_spark_configuration()
    aws.emr.add_response("run_job_flow", {"JobFlowId": "j-DUE"}, None)

    call_command("run_jobs")

    assert due.runs.get().jobflow_id == "j-DUE"
    out = capsys.readouterr().out
    assert "due: started" in out
    assert "1 job run(s) started." in out
    # The next run counts from now: running the command again starts nothing.
    call_command("run_jobs")
    assert due.runs.count() == 1


def test_run_jobs_skips_a_job_with_a_run_under_way(user: Any, aws: AWSStubs, capsys: Any) -> None:
    job = SparkJobFactory(created_by=user, identifier="busy")
    SparkJobRunFactory(spark_job=job, status="RUNNING")
    aws.emr.add_response(
        "describe_cluster", {"Cluster": {"Id": "j-RUN", "Status": {"State": "RUNNING"}}}, None
    )
    call_command("run_jobs")
    assert "busy: busy" in capsys.readouterr().out
    assert job.runs.count() == 1
