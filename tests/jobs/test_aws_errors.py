"""Each job page when AWS refuses, throttles or cannot be reached.

The page says what failed in words, answers with a sensible status (never a
500), and loses nothing: the job, its schedule, its runs and the rest of the
page stay as they were.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.jobs.models import SparkJob, SparkJobRun
from tests.aws import AWSStubs, unreachable
from tests.jobs.conftest import PRIVATE_BUCKET, body, stub_listing, stub_notebook
from tests.jobs.factories import SparkJobRunFactory
from tests.jobs.helpers import committed
from tests.jobs.pages import messages_of, stub_detail, url

pytestmark = pytest.mark.django_db

ACCESS_DENIED = ("AccessDenied", "Access Denied", 403)
SLOW_DOWN = ("SlowDown", "Please reduce your request rate.", 503)
EMR_THROTTLING = ("ThrottlingException", "Rate exceeded", 400)
NOT_AUTHORIZED = "User is not authorized to perform this action."
EMR_ACCESS_DENIED = ("AccessDeniedException", NOT_AUTHORIZED, 400)
SLOWED = "AWS is busy and asked us to slow down (Please reduce your request rate)."
REFUSED = "AWS refused (Access Denied)."
EMR_REFUSED = "AWS refused (User is not authorized to perform this action)."
TRY_AGAIN_SOON = "Please try again in a minute."
TELL_THE_TEAM = "Please try again, and tell the ATMO team if it keeps failing."


def refuse(aws: AWSStubs, service: str, method: str, error: tuple[str, str, int]) -> None:
    """The next ``method`` call of ``service`` gets AWS's ``(code, message, HTTP status)``."""
    code, message, status = error
    getattr(aws, service).add_client_error(method, code, message, status)


# --- Detail --------------------------------------------------------------------------------------


def test_s3_throttling_the_results_listing_leaves_the_rest_of_the_detail_page(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    SparkJobRunFactory(spark_job=spark_job, jobflow_id="j-SHOWN", status=Cluster.STATUS_TERMINATED)
    refuse(aws, "s3", "list_objects_v2", SLOW_DOWN)
    stub_notebook(aws, spark_job.notebook_s3_key)
    response = client_for(owner).get(url("detail", spark_job))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"The results could not be listed from S3: {SLOWED} {TRY_AGAIN_SOON}" in page
    assert "j-SHOWN" in page  # the runs
    assert "print(42)" in page  # the notebook preview


# --- Download ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (ACCESS_DENIED, f"The notebook could not be fetched from S3: {REFUSED} {TELL_THE_TEAM}"),
        (SLOW_DOWN, f"The notebook could not be fetched from S3: {SLOWED} {TRY_AGAIN_SOON}"),
    ],
)
def test_a_download_s3_refuses_goes_back_to_the_job_saying_why(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs, error: tuple[str, str, int], said: str
) -> None:
    refuse(aws, "s3", "get_object", error)
    response = client_for(owner).get(url("download", spark_job))
    assert response.status_code == 302
    assert response["Location"] == url("detail", spark_job)
    assert messages_of(response) == [said]


# --- Zeppelin ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "reason"),
    [(ACCESS_DENIED, f"{REFUSED} {TELL_THE_TEAM}"), (SLOW_DOWN, f"{SLOWED} {TRY_AGAIN_SOON}")],
)
def test_the_zeppelin_page_says_why_the_results_could_not_be_listed(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs, error: tuple[str, str, int], reason: str
) -> None:
    refuse(aws, "s3", "list_objects_v2", error)
    response = client_for(owner).get(url("zeppelin", spark_job))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"The results could not be read from S3: {reason}" in page
    assert "No Markdown output yet" not in page


def test_a_markdown_result_that_cannot_be_read_leaves_the_others_shown(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    folder = "daily-report/data/2026-01-02T00"
    stub_listing(aws, "daily-report", [f"{folder}/a.md", f"{folder}/b.md"], bucket=PRIVATE_BUCKET)
    refuse(aws, "s3", "get_object", ACCESS_DENIED)  # a.md
    aws.s3.add_response(
        "get_object", {"Body": body(b"**second**")}, {"Bucket": PRIVATE_BUCKET, "Key": f"{folder}/b.md"}
    )
    response = client_for(owner).get(url("zeppelin", spark_job))
    assert response.status_code == 200
    page = response.content.decode()
    assert "a.md" in page
    assert f"This file could not be read from S3: {REFUSED} {TELL_THE_TEAM}" in page
    assert "<strong>second</strong>" in page
    assert 'data-testid="zeppelin-error"' not in page  # the listing itself worked


# --- Delete --------------------------------------------------------------------------------------


def test_emr_refusing_to_stop_the_cluster_keeps_the_job_and_says_whom_to_ask(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    run = SparkJobRunFactory(spark_job=spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    refuse(aws, "emr", "terminate_job_flows", EMR_ACCESS_DENIED)
    with committed():
        response = client_for(owner).post(url("delete", spark_job))
    assert response.status_code == 302
    assert response["Location"] == url("detail", spark_job)
    assert messages_of(response) == [
        f"The cluster of the current run could not be stopped: {EMR_REFUSED} Nothing was deleted. "
        f"{TELL_THE_TEAM}"
    ]
    assert SparkJob.objects.filter(pk=spark_job.pk).exists()
    run.refresh_from_db()
    assert run.status == Cluster.STATUS_RUNNING
    assert owner.has_perm("jobs.delete_sparkjob", spark_job)


def stale_request(job: SparkJob) -> SparkJobRun:
    """A run that was requested an hour ago and never got its cluster id: its worker stopped."""
    run = SparkJobRunFactory(spark_job=job, requested=True)
    SparkJobRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=1))
    return run


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            EMR_THROTTLING,
            f"AWS is busy and asked us to slow down (Rate exceeded). Nothing was deleted. {TRY_AGAIN_SOON}",
        ),
        (EMR_ACCESS_DENIED, f"{EMR_REFUSED} Nothing was deleted. {TELL_THE_TEAM}"),
    ],
)
def test_a_stale_run_emr_cannot_be_asked_about_keeps_the_job_and_says_so(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs, error: tuple[str, str, int], said: str
) -> None:
    run = stale_request(spark_job)
    refuse(aws, "emr", "list_clusters", error)  # looking for the cluster the worker may have started
    with committed():
        response = client_for(owner).post(url("delete", spark_job))
    assert response["Location"] == url("detail", spark_job)
    assert messages_of(response) == [f"The run that was being started could not be looked up at AWS: {said}"]
    assert "could not be stopped" not in messages_of(response)[0]
    assert SparkJob.objects.filter(pk=spark_job.pk).exists()
    run.refresh_from_db()
    assert run.status == Cluster.REQUESTED and not run.alerts.exists()


def test_a_stale_run_emr_cannot_be_reached_about_asks_to_try_again(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    stale_request(spark_job)
    with unreachable(aws, "emr", "get_paginator"), committed():
        response = client_for(owner).post(url("delete", spark_job))
    (said,) = messages_of(response)
    assert said.startswith(
        "The run that was being started could not be looked up at AWS: AWS could not be reached"
    )
    assert said.endswith(f"Nothing was deleted. {TRY_AGAIN_SOON}")
    assert SparkJob.objects.filter(pk=spark_job.pk).exists()


def test_a_job_is_deleted_even_when_s3_cannot_be_reached_for_its_notebook(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    with unreachable(aws, "s3", "delete_object"), committed():
        response = client_for(owner).post(url("delete", spark_job))
    assert response["Location"] == reverse("dashboard")
    assert not SparkJob.objects.exists()


# --- Run now -------------------------------------------------------------------------------------


def test_emr_refusing_run_now_fails_the_run_with_an_alert_and_says_so(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    before = spark_job.schedule.next_slot()
    aws.add_spark_configuration()
    refuse(aws, "emr", "run_job_flow", EMR_ACCESS_DENIED)
    client = client_for(owner)
    response = client.post(url("run", spark_job))
    assert response.status_code == 302
    assert response["Location"] == url("detail", spark_job)
    assert messages_of(response) == ["AWS refused to start the run; the run history below says why."]
    run = spark_job.runs.get()
    assert run.status == Cluster.STATUS_TERMINATED_WITH_ERRORS
    alert = run.alerts.get()
    assert alert.reason_code == Cluster.STATE_CHANGE_REASON_VALIDATION_ERROR
    assert alert.reason_message == f"The run could not be started: {EMR_REFUSED} {TELL_THE_TEAM}"
    assert spark_job.schedule.next_slot() == before  # a manual run takes no slot
    stub_detail(aws, spark_job)
    assert alert.reason_message in client.get(url("detail", spark_job)).content.decode()


def test_run_now_when_aws_is_out_of_reach_asks_to_try_again(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    aws.add_spark_configuration()
    with unreachable(aws, "emr", "run_job_flow"):
        response = client_for(owner).post(url("run", spark_job))
    assert messages_of(response) == [
        "The run could not be started: AWS could not be reached (Could not connect to the endpoint URL: "
        f'"https://emr.us-west-2.amazonaws.com/"). {TRY_AGAIN_SOON}'
    ]
    assert not spark_job.runs.exists()


# --- S3 out of reach -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "methods", "said"),
    [
        (
            "detail",
            ["get_paginator", "get_object"],
            "The results could not be listed from S3: AWS could not be reached",
        ),
        (
            "detail",
            ["get_paginator", "get_object"],
            "The notebook could not be fetched from S3: AWS could not be reached",
        ),
        ("download", ["get_object"], "The notebook could not be fetched from S3: AWS could not be reached"),
        ("zeppelin", ["get_paginator"], "AWS could not be reached"),
    ],
)
def test_the_pages_say_when_s3_is_out_of_reach(
    client_for: Any,
    owner: Any,
    spark_job: SparkJob,
    aws: AWSStubs,
    action: str,
    methods: list[str],
    said: str,
) -> None:
    with contextlib.ExitStack() as stack:
        for method in methods:
            stack.enter_context(unreachable(aws, "s3", method))
        response = client_for(owner).get(url(action, spark_job))
    # The page itself, or (a download) the job page with a message.
    assert response.status_code == (302 if action == "download" else 200)
    assert said in response.content.decode() + " ".join(messages_of(response))
