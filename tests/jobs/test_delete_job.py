"""Deleting a job: its cluster, notebook, schedule and permissions go, or nothing does."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from guardian.shortcuts import get_groups_with_perms, get_users_with_perms

from atmo.clusters.models import Cluster
from atmo.jobs.models import SparkJob
from tests.aws import AWSStubs
from tests.jobs.factories import SparkJobRunFactory
from tests.jobs.helpers import committed
from tests.jobs.pages import messages_of, url

pytestmark = pytest.mark.django_db

RUN_STARTING_MESSAGE = (
    "A run of the job is starting: its cluster is being requested from AWS. Nothing was deleted. "
    "Please try again in a minute."
)


def test_the_delete_page_asks_first(client_for: Any, owner: Any, spark_job: SparkJob) -> None:
    response = client_for(owner).get(url("delete", spark_job))
    assert response.status_code == 200
    assert "Delete the Spark job daily-report?" in response.content.decode()
    assert SparkJob.objects.exists()


def test_deleting_stops_the_cluster_and_removes_notebook_and_permissions(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    SparkJobRunFactory(spark_job=spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-RUN"]})
    aws.s3.add_response(
        "delete_object",
        {},
        {"Bucket": settings.AWS_CONFIG["CODE_BUCKET"], "Key": "jobs/daily-report/report.ipynb"},
    )
    with committed():
        response = client_for(owner).post(url("delete", spark_job))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert messages_of(response) == ["Spark job <strong>daily-report</strong> deleted."]
    assert not SparkJob.objects.exists()
    assert not get_users_with_perms(spark_job) and not get_groups_with_perms(spark_job)


def test_a_cluster_that_cannot_be_stopped_keeps_the_job(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    SparkJobRunFactory(spark_job=spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    aws.emr.add_client_error("terminate_job_flows", "ThrottlingException", "Rate exceeded", 400)
    response = client_for(owner).post(url("delete", spark_job))
    assert response.status_code == 302
    assert response["Location"] == url("detail", spark_job)
    assert messages_of(response) == [
        "The cluster of the current run could not be stopped: AWS is busy and asked us to slow down "
        "(Rate exceeded). Nothing was deleted. Please try again in a minute."
    ]
    assert SparkJob.objects.filter(pk=spark_job.pk).exists()
    assert spark_job.schedule.next_slot() is not None


def test_a_job_whose_run_is_starting_is_kept_with_a_clear_message(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    SparkJobRunFactory(spark_job=spark_job, requested=True)
    with committed():
        response = client_for(owner).post(url("delete", spark_job))
    assert response["Location"] == url("detail", spark_job)
    assert messages_of(response) == [RUN_STARTING_MESSAGE]
    assert SparkJob.objects.filter(pk=spark_job.pk).exists()
    assert spark_job.schedule.next_slot() is not None
