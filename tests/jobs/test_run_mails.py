"""Failure and timeout mails say what failed, how long it ran, and link to the run page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from atmo.jobs import tasks
from atmo.jobs.models import SparkJob, SparkJobRun
from tests.jobs.factories import SparkJobRunFactory
from tests.jobs.test_run_outcome import FAILED_OUTCOME

pytestmark = pytest.mark.django_db

SITE = "http://localhost:8000"


def failed_run(
    spark_job: SparkJob, outcome: dict[str, Any] | None = FAILED_OUTCOME, **fields: Any
) -> SparkJobRun:
    run = SparkJobRunFactory(spark_job=spark_job, status="TERMINATED_WITH_ERRORS", outcome=outcome, **fields)
    run.alert("STEP_FAILURE", "Step failed")
    return run


def test_the_failure_mail_quotes_the_failing_cell_and_links_the_run(spark_job: SparkJob) -> None:
    run = failed_run(spark_job)
    assert tasks.send_run_alert_mails() == ["daily-report"]
    message = mail.outbox[0]
    assert message.subject == "[ATMO] Running Spark job daily-report failed"
    assert "Error: cell 3 raised ZeroDivisionError: division by zero" in message.body
    assert "The failing cell:\n\n    total = 1 / 0\n" in message.body
    assert f"{SITE}/jobs/{spark_job.pk}/runs/{run.pk}/" in message.body
    html = message.alternatives[0][0]
    assert "raised <code>ZeroDivisionError</code>: division by zero" in html
    assert f'href="{SITE}/jobs/{spark_job.pk}/runs/{run.pk}/"' in html


def test_code_is_quoted_as_written_in_the_text_mail_and_escaped_in_the_html_one(spark_job: SparkJob) -> None:
    failure = {**FAILED_OUTCOME["failure"], "cell_source": "if name < 'm':\n    raise ValueError(name)"}
    failed_run(spark_job, {**FAILED_OUTCOME, "failure": failure})
    tasks.send_run_alert_mails()
    message = mail.outbox[0]
    assert "    if name < 'm':\n        raise ValueError(name)" in message.body
    assert "if name &lt; &#x27;m&#x27;:" in message.alternatives[0][0]


def test_a_failure_without_an_outcome_gives_aws_reason(spark_job: SparkJob) -> None:
    failed_run(spark_job, outcome=None)
    tasks.send_run_alert_mails()
    assert "Reason: Step failed (error code STEP_FAILURE)" in mail.outbox[0].body
    assert "failing cell" not in mail.outbox[0].body


def test_the_timeout_mail_says_how_long_it_ran_and_links_the_partial_output(spark_job: SparkJob) -> None:
    now = timezone.now()
    run = SparkJobRunFactory(
        spark_job=spark_job, status="TERMINATED", ready_at=now - timedelta(hours=3), timed_out_at=now
    )
    assert tasks.send_run_alert_mails() == ["daily-report"]
    message = mail.outbox[0]
    assert message.subject == "[ATMO] Spark job daily-report timed out"
    assert "ran for 3 h, longer than its timeout of 2 hours" in message.body
    run_page = f"{SITE}/jobs/{spark_job.pk}/runs/{run.pk}/"
    assert f"What it produced until then (the partial notebook and its log):\n{run_page}" in message.body


def test_a_notebook_the_runner_stopped_at_the_timeout_gets_the_timeout_mail(spark_job: SparkJob) -> None:
    outcome = {**FAILED_OUTCOME, "status": "timed_out", "failure": None, "duration_seconds": 7200.0}
    failed_run(spark_job, outcome)
    assert tasks.send_run_alert_mails() == ["daily-report"]
    assert [m.subject for m in mail.outbox] == ["[ATMO] Spark job daily-report timed out"]
    assert "ran for 2 h, longer than its timeout" in mail.outbox[0].body
