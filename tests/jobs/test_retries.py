"""A job retries a failed run up to N times after a delay; its owner hears of the last attempt only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from atmo.jobs import tasks
from atmo.jobs.models import SparkJob, SparkJobRun
from tests.aws import AWSStubs
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.helpers import stub_run_job_flow
from tests.jobs.test_run_outcome import FAILED_OUTCOME

pytestmark = pytest.mark.django_db

DELAY = timedelta(seconds=600)  # ATMO_JOB_RETRY_DELAY_SECONDS in tests


@pytest.fixture(autouse=True)
def retry_delay(settings: Any) -> None:
    settings.ATMO_JOB_RETRY_DELAY_SECONDS = int(DELAY.total_seconds())


@pytest.fixture
def retrying_job(owner: Any, release: Any) -> SparkJob:
    return SparkJobFactory(created_by=owner, emr_release=release, retries=2)


def fail(run: SparkJobRun, ago: timedelta = DELAY + timedelta(seconds=1), **fields: Any) -> SparkJobRun:
    """End ``run`` as failed ``ago``, with the alert the status sync would have made."""
    run.status = SparkJobRun.State.TERMINATED_WITH_ERRORS
    run.finished_at = timezone.now() - ago
    run.outcome = fields.pop("outcome", FAILED_OUTCOME)
    for name, value in fields.items():
        setattr(run, name, value)
    run.save()
    run.alert("STEP_FAILURE", "Step failed")
    return run


def first_run(job: SparkJob, owner: Any = None) -> SparkJobRun:
    return SparkJobRunFactory(
        spark_job=job,
        requested_by=owner,
        parameters={"limit": 25},
        created_at=timezone.now() - timedelta(hours=1),
    )


def test_a_failed_run_is_retried_after_the_delay_with_its_parameters(
    retrying_job: SparkJob, owner: Any, aws: AWSStubs
) -> None:
    first = fail(first_run(retrying_job, owner))
    stub_run_job_flow(aws, "j-RETRY")
    [[identifier, retry_pk]] = tasks.retry_failed_runs()
    retry = SparkJobRun.objects.get(pk=retry_pk)
    assert identifier == "daily-report"
    assert (retry.retry_of, retry.attempt, retry.jobflow_id) == (first, 2, "j-RETRY")
    assert retry.parameters == {"limit": 25}
    assert retry.requested_by == owner
    assert tasks.retry_failed_runs() == []  # the retry is under way


def test_a_run_is_not_retried_before_the_delay(retrying_job: SparkJob, aws: AWSStubs) -> None:
    fail(first_run(retrying_job), ago=DELAY - timedelta(seconds=30))
    assert tasks.retry_failed_runs() == []
    assert retrying_job.runs.count() == 1


def test_every_attempt_links_to_the_first_and_the_last_one_is_not_retried(
    retrying_job: SparkJob, aws: AWSStubs
) -> None:
    first = fail(first_run(retrying_job))
    stub_run_job_flow(aws, "j-2")
    tasks.retry_failed_runs()
    second = fail(retrying_job.runs.get(attempt=2))
    stub_run_job_flow(aws, "j-3")
    tasks.retry_failed_runs()
    third = fail(retrying_job.runs.get(attempt=3))
    assert (second.retry_of_id, third.retry_of_id) == (first.pk, first.pk)
    assert tasks.retry_failed_runs() == []  # two retries allowed: three attempts in all
    assert retrying_job.runs.count() == 3


def test_a_job_without_retries_does_not_retry(spark_job: SparkJob, aws: AWSStubs) -> None:
    fail(first_run(spark_job))
    assert tasks.retry_failed_runs() == []


@pytest.mark.parametrize(
    "timed_out", [{"timed_out_at": timezone.now()}, {"outcome": {**FAILED_OUTCOME, "status": "timed_out"}}]
)
def test_a_timed_out_run_is_retried_only_when_the_job_says_so(
    retrying_job: SparkJob, aws: AWSStubs, timed_out: dict[str, Any]
) -> None:
    fail(first_run(retrying_job), **timed_out)
    assert tasks.retry_failed_runs() == []
    retrying_job.retry_timeouts = True
    retrying_job.save()
    stub_run_job_flow(aws)
    assert len(tasks.retry_failed_runs()) == 1


def test_a_newer_run_takes_the_place_of_the_retry(retrying_job: SparkJob, aws: AWSStubs) -> None:
    fail(first_run(retrying_job))
    SparkJobRunFactory(spark_job=retrying_job, status="RUNNING", jobflow_id="j-NEXT")
    assert tasks.retry_failed_runs() == []


def test_aws_unavailable_keeps_nothing_and_the_next_sweep_tries_again(
    retrying_job: SparkJob, aws: AWSStubs
) -> None:
    fail(first_run(retrying_job))
    aws.add_spark_configuration()
    aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
    assert tasks.retry_failed_runs() == []
    assert retrying_job.runs.count() == 1
    stub_run_job_flow(aws)
    assert len(tasks.retry_failed_runs()) == 1


def test_the_failure_mail_goes_only_after_the_last_attempt(retrying_job: SparkJob, aws: AWSStubs) -> None:
    retrying_job.retries = 1
    retrying_job.save()
    first = fail(first_run(retrying_job))
    assert tasks.send_run_alert_mails() == []  # a retry is to come
    stub_run_job_flow(aws)
    tasks.retry_failed_runs()
    assert tasks.send_run_alert_mails() == []  # the retry is under way
    fail(retrying_job.runs.get(attempt=2))
    assert tasks.send_run_alert_mails() == ["daily-report"]
    assert tasks.send_run_alert_mails() == []
    assert len(mail.outbox) == 1
    assert "failed, after 2 attempts" in mail.outbox[0].body
    assert first.alerts.get().mail_sent_date is None  # never mailed on its own


def test_a_failure_whose_retry_a_newer_run_replaced_is_mailed(retrying_job: SparkJob) -> None:
    fail(first_run(retrying_job))
    assert tasks.send_run_alert_mails() == []
    SparkJobRunFactory(spark_job=retrying_job, status="RUNNING", jobflow_id="j-NEXT")
    assert tasks.send_run_alert_mails() == ["daily-report"]


def test_a_timeout_with_a_retry_to_come_is_not_mailed_yet(retrying_job: SparkJob, aws: AWSStubs) -> None:
    retrying_job.retry_timeouts = True
    retrying_job.save()
    run = first_run(retrying_job)
    SparkJobRun.objects.filter(pk=run.pk).update(
        status="TERMINATED", finished_at=timezone.now() - DELAY * 2, timed_out_at=timezone.now() - DELAY * 2
    )
    assert tasks.send_run_alert_mails() == []
    stub_run_job_flow(aws)
    tasks.retry_failed_runs()
    assert tasks.send_run_alert_mails() == []  # that attempt was followed: only the last one is told
    assert mail.outbox == []
