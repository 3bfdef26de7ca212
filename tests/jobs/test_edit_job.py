"""Editing a job: its settings and notebook change, its schedule keeps its last run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings

from atmo.jobs.models import SparkJob
from tests.aws import AWSStubs
from tests.jobs.conftest import (
    notebook_upload,
    stub_upload,
)
from tests.jobs.factories import SparkJobRunFactory
from tests.jobs.pages import edit_post, url

pytestmark = pytest.mark.django_db


def test_the_edit_page_shows_the_job_with_a_fixed_identifier(
    client_for: Any, owner: Any, spark_job: SparkJob
) -> None:
    response = client_for(owner).get(url("edit", spark_job))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="daily-report"' in page
    assert "disabled" in str(response.context["form"]["identifier"])
    assert "Current notebook: <strong>report.ipynb</strong>" in page


def test_replacing_the_notebook_removes_the_old_one_and_keeps_the_schedule(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    SparkJobRunFactory(spark_job=spark_job, status="TERMINATED", slot=spark_job.start_date)
    before = spark_job.schedule.next_slot()
    stub_upload(aws, "jobs/daily-report/renamed.ipynb")
    aws.s3.add_response(
        "delete_object",
        {},
        {"Bucket": settings.AWS_CONFIG["CODE_BUCKET"], "Key": "jobs/daily-report/report.ipynb"},
    )
    response = client_for(owner).post(
        url("edit", spark_job),
        {
            **edit_post(spark_job, size=5, identifier="hijack"),
            "edit-notebook": notebook_upload("renamed.ipynb"),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url("detail", spark_job)
    spark_job.refresh_from_db()
    assert (spark_job.identifier, spark_job.size) == ("daily-report", 5)
    assert spark_job.notebook_s3_key == "jobs/daily-report/renamed.ipynb"
    # No extra run: the schedule's next slot is the one after the last run's.
    assert spark_job.schedule.next_slot() == before == spark_job.start_date + timedelta(days=1)
    assert spark_job.schedule_from is None


def test_s3_refusing_a_new_notebook_leaves_the_job_unchanged(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    aws.s3.add_client_error("put_object", "SlowDown", "Please reduce your request rate.", 503)
    response = client_for(owner).post(
        url("edit", spark_job),
        {**edit_post(spark_job, size=9), "edit-notebook": notebook_upload("new.ipynb")},
    )
    assert response.status_code == 200
    assert (
        "The notebook could not be stored: AWS is busy and asked us to slow down "
        "(Please reduce your request rate). Nothing was saved. Please try again in a minute."
    ) in response.content.decode()
    spark_job.refresh_from_db()
    assert (spark_job.size, spark_job.notebook_s3_key) == (2, "jobs/daily-report/report.ipynb")


def test_the_owner_sets_how_often_failed_runs_are_retried(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    page = client_for(owner).get(url("edit", spark_job)).content.decode()
    assert '<option value="0" selected>Don&#x27;t retry</option>' in page
    post = edit_post(spark_job, retries=2, retry_timeouts="on")
    assert client_for(owner).post(url("edit", spark_job), post).status_code == 302
    spark_job.refresh_from_db()
    assert (spark_job.retries, spark_job.retry_timeouts) == (2, True)


@pytest.mark.parametrize("retries", ["4", "-1", "many"])
def test_more_retries_than_three_are_refused(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs, retries: str
) -> None:
    response = client_for(owner).post(url("edit", spark_job), edit_post(spark_job, retries=retries))
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    spark_job.refresh_from_db()
    assert spark_job.retries == 0
