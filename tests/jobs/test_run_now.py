""" "Run now": confirm, then start a run out of schedule, or say why not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.jobs.models import RunNow, SparkJob
from atmo.jobs.views import RUN_NOW_REFUSALS
from tests.aws import AWSStubs
from tests.clusters.helpers import emr_cluster
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.helpers import stub_run_job_flow
from tests.jobs.pages import messages_of, url

pytestmark = pytest.mark.django_db

BUSY_MESSAGE = RUN_NOW_REFUSALS[RunNow.BUSY]


def test_run_now_asks_first_and_explains_the_schedule(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    response = client_for(owner).get(url("run", spark_job))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The schedule does not change: the job still runs daily, next at" in page
    assert f"{spark_job.schedule.next_slot():%Y-%m-%d %H:%M} UTC" in page
    assert not spark_job.runs.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_run_now_while_a_run_is_under_way_says_so(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs, method: str
) -> None:
    SparkJobRunFactory(spark_job=spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    # The stored status may be out of date: EMR is asked first.
    aws.emr.add_response(
        "describe_cluster", {"Cluster": emr_cluster("j-RUN", "RUNNING")}, {"ClusterId": "j-RUN"}
    )
    response = getattr(client_for(owner), method)(url("run", spark_job))
    assert response.status_code == 302
    assert response["Location"] == url("detail", spark_job)
    assert messages_of(response) == [BUSY_MESSAGE]
    assert spark_job.runs.count() == 1


def test_run_now_starts_a_run_outside_the_schedule(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    stub_run_job_flow(aws)
    response = client_for(owner).post(url("run", spark_job))
    assert response.status_code == 302
    run = spark_job.runs.get()
    assert run.jobflow_id == "j-NOW"
    assert run.slot is None
    assert messages_of(response) == ["Run of <strong>daily-report</strong> started (j-NOW)."]


def test_run_now_when_aws_is_throttling_asks_to_try_again(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    aws.add_spark_configuration()
    aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
    before = spark_job.schedule.next_slot()
    response = client_for(owner).post(url("run", spark_job))
    assert messages_of(response) == [
        "The run could not be started: AWS is busy and asked us to slow down (Rate exceeded). "
        "Please try again in a minute."
    ]
    assert not spark_job.runs.exists()
    assert spark_job.schedule.next_slot() == before


def test_a_run_aws_refuses_shows_as_failed_with_the_reason(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    aws.add_spark_configuration()
    aws.emr.add_client_error("run_job_flow", "ValidationException", "The release label is unknown.", 400)
    response = client_for(owner).post(url("run", spark_job))
    run = spark_job.runs.get()
    assert run.status == Cluster.STATUS_TERMINATED_WITH_ERRORS
    assert "AWS refused (The release label is unknown)." in run.alerts.get().reason_message
    assert "AWS refused to start the run" in messages_of(response)[0]


def test_run_now_works_for_an_expired_job(client_for: Any, owner: Any, release: Any, aws: AWSStubs) -> None:
    past = timezone.now() - timedelta(days=1)
    job = SparkJobFactory(
        created_by=owner, emr_release=release, start_date=past - timedelta(days=3), end_date=past
    )
    job.expire()
    assert job.schedule.next_slot() is None
    stub_run_job_flow(aws)
    response = client_for(owner).post(url("run", job))
    assert response.status_code == 302
    assert job.runs.get().jobflow_id == "j-NOW"
    assert job.schedule.next_slot() is None


def test_a_disabled_job_cannot_be_run_now(client_for: Any, owner: Any, release: Any, aws: AWSStubs) -> None:
    job = SparkJobFactory(created_by=owner, emr_release=release, is_enabled=False)
    response = client_for(owner).post(url("run", job))
    assert messages_of(response) == ["This job was disabled by an administrator, so it cannot run."]
    assert not job.runs.exists()


def test_run_now_asks_emr_first_and_starts_when_the_last_run_has_ended(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    SparkJobRunFactory(spark_job=spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    aws.emr.add_response(
        "describe_cluster",
        {"Cluster": emr_cluster("j-RUN", "TERMINATED", ended=timezone.now())},
        {"ClusterId": "j-RUN"},
    )
    stub_run_job_flow(aws)
    response = client_for(owner).post(url("run", spark_job))
    assert messages_of(response) == ["Run of <strong>daily-report</strong> started (j-NOW)."]
    assert spark_job.runs.get(jobflow_id="j-RUN").status == Cluster.STATUS_TERMINATED
    assert spark_job.runs.count() == 2


def test_run_now_keeps_the_stored_status_when_emr_cannot_be_asked(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    SparkJobRunFactory(spark_job=spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    aws.emr.add_client_error("describe_cluster", "ThrottlingException", "Rate exceeded", 400)
    response = client_for(owner).get(url("run", spark_job))
    assert messages_of(response) == [BUSY_MESSAGE]


def test_run_now_on_a_job_deleted_meanwhile_is_not_found(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    aws.clients["emr"].meta.events.register(
        "provide-client-params.emr.RunJobFlow",
        lambda **kwargs: SparkJob.objects.filter(pk=spark_job.pk).delete() and None,
    )
    stub_run_job_flow(aws, "j-ORPHAN")
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-ORPHAN"]})  # nothing may track it
    assert client_for(owner).post(url("run", spark_job)).status_code == 404
