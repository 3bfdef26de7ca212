"""The job page: its schedule, runs, results and notebook preview, polled with HEAD."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.decorators import MODIFIED_DATE_HEADER
from atmo.jobs.models import SparkJob
from tests.aws import AWSStubs
from tests.jobs.conftest import (
    PRIVATE_BUCKET,
    ZEPPELIN_NOTE,
    stub_listing,
    stub_notebook,
)
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.pages import stub_detail, url

pytestmark = pytest.mark.django_db


def test_the_detail_page_shows_schedule_runs_alerts_results_and_notebook(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    now = timezone.now()
    failed = SparkJobRunFactory(
        spark_job=spark_job,
        jobflow_id="j-FAILED",
        status=Cluster.STATUS_TERMINATED_WITH_ERRORS,
        scheduled_at=now - timedelta(days=2),
        ready_at=now - timedelta(days=2),
        finished_at=now - timedelta(days=1, hours=23),
    )
    failed.alert("BOOTSTRAP_FAILURE", "The bootstrap action failed.")
    SparkJobRunFactory(
        spark_job=spark_job,
        jobflow_id="j-DONE",
        status=Cluster.STATUS_TERMINATED,
        scheduled_at=now - timedelta(days=1),
        ready_at=now - timedelta(days=1, hours=-1),
        finished_at=now - timedelta(days=1, hours=-3, minutes=-5),
    )
    keys = ["daily-report/data/2026/out.csv", "daily-report/logs/2026/log.txt"]
    stub_detail(aws, spark_job, keys)

    response = client_for(owner).get(url("detail", spark_job))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Runs daily, starting {spark_job.start_date:%Y-%m-%d %H:%M} UTC." in page
    assert "Next run: <strong>" in page
    assert "j-FAILED" in page and "j-DONE" in page
    assert "2 h 5 min" in page  # ready to finished
    assert "The bootstrap action failed." in page and "BOOTSTRAP_FAILURE" in page
    assert ">Finished</span>" in page and ">Failed</span>" in page
    # Private results get short-lived signed links to the private bucket.
    link = response.context["results"]["data"][0]
    assert link.name == "data/2026/out.csv"
    parts = urlsplit(link.url)
    assert PRIVATE_BUCKET in parts.netloc + parts.path
    assert "Signature" in parts.query or "X-Amz-Signature" in parse_qs(parts.query)
    assert response.context["results"]["logs"][0].name == "logs/2026/log.txt"
    assert 'data-testid="notebook-preview"' in page
    assert "<h1>Daily <strong>report</strong></h1>" in page
    assert "print(42)" in page
    for region in ("job-header", "job-runs", "job-facts", "job-results"):
        assert f'id="live-{region}"' in page


def test_a_job_that_never_ran_says_so(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    stub_detail(aws, spark_job)
    page = client_for(owner).get(url("detail", spark_job)).content.decode()
    assert "This job has not run yet." in page
    assert "No results yet." in page
    assert ">Never run</span>" in page


def test_public_results_link_to_the_public_bucket(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs
) -> None:
    job = SparkJobFactory(
        created_by=owner,
        identifier="open-data",
        result_visibility=SparkJob.RESULT_PUBLIC,
        emr_release=release,
    )
    stub_detail(aws, job, ["open-data/data/counts.csv"])
    response = client_for(owner).get(url("detail", job))
    assert (
        response.context["results"]["data"][0].url == f"{settings.PUBLIC_DATA_URL}open-data/data/counts.csv"
    )
    assert "anyone with a link can read them" in response.content.decode()


@pytest.mark.parametrize(
    ("enabled", "expired", "text"),
    [(False, False, "disabled by an administrator"), (True, True, "Not scheduled")],
)
def test_a_job_that_will_not_run_again_is_not_scheduled(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs, enabled: bool, expired: bool, text: str
) -> None:
    past = timezone.now() - timedelta(days=1)
    fields: dict[str, Any] = {"is_enabled": enabled}
    if expired:
        fields.update(start_date=past - timedelta(days=5), end_date=past, expired_date=past)
    job = SparkJobFactory(created_by=owner, emr_release=release, **fields)
    stub_detail(aws, job)
    page = client_for(owner).get(url("detail", job)).content.decode()
    assert "Not scheduled" in page
    assert text in page
    assert "Next run:" not in page


def test_an_s3_error_while_listing_results_is_a_warning_not_a_crash(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    aws.s3.add_client_error("list_objects_v2", "AccessDenied", "Access Denied.", 403)
    stub_notebook(aws, spark_job.notebook_s3_key)
    response = client_for(owner).get(url("detail", spark_job))
    assert response.status_code == 200
    assert (
        "The results could not be listed from S3: AWS refused (Access Denied)." in response.content.decode()
    )


def test_a_missing_notebook_is_explained_on_the_page(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    stub_listing(aws, spark_job.identifier, [])
    aws.s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)
    response = client_for(owner).get(url("detail", spark_job))
    assert response.status_code == 200
    assert "The notebook is no longer stored in S3." in response.content.decode()


def test_a_notebook_that_cannot_be_parsed_is_explained_on_the_page(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    stub_detail(aws, spark_job, content=b"{not json")
    page = client_for(owner).get(url("detail", spark_job)).content.decode()
    assert "The notebook cannot be shown: The notebook is not valid JSON" in page


def test_the_notebook_preview_never_lets_the_notebooks_html_through(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    document = {
        "nbformat": 4,
        "cells": [
            {"cell_type": "markdown", "source": "<script>alert(1)</script> *fine*"},
            {
                "cell_type": "code",
                "execution_count": 7,
                "source": "display('<b>bold</b>')",
                "outputs": [
                    {"output_type": "stream", "text": "<img src=x onerror=alert(2)>"},
                    {"output_type": "display_data", "data": {"image/png": png, "text/plain": "<Figure>"}},
                    {"output_type": "display_data", "data": {"text/html": "<iframe src=evil>"}},
                    {
                        "output_type": "error",
                        "ename": "E",
                        "evalue": "v",
                        "traceback": ["\x1b[31mBoom<br>\x1b[0m"],
                    },
                ],
            },
        ],
    }
    stub_detail(aws, spark_job, content=json.dumps(document).encode())
    page = client_for(owner).get(url("detail", spark_job)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "display(&#x27;&lt;b&gt;bold&lt;/b&gt;&#x27;)" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert f'src="data:image/png;base64,{png}"' in page
    assert "<iframe" not in page
    assert "Boom&lt;br&gt;" in page and "\x1b" not in page
    assert "In [7]:" in page


def test_a_zeppelin_note_is_previewed_as_its_paragraphs(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs
) -> None:
    job = SparkJobFactory(
        created_by=owner, emr_release=release, notebook_s3_key="jobs/daily-report/note.json"
    )
    stub_detail(aws, job, content=json.dumps(ZEPPELIN_NOTE).encode())
    page = client_for(owner).get(url("detail", job)).content.decode()
    assert "Zeppelin note" in page
    assert '<h3 class="h6">Count</h3>' in page
    assert "spark.range(3).count()" in page


def test_the_page_check_with_head_calls_no_aws_and_sends_the_latest_change(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    run = SparkJobRunFactory(spark_job=spark_job)
    response = client_for(owner).head(url("detail", spark_job))
    assert response.status_code == 200
    assert response[MODIFIED_DATE_HEADER] == max(run.modified_at, spark_job.modified_at).isoformat()


def count_detail_queries(client: Any, job: SparkJob, aws: AWSStubs) -> int:
    stub_detail(aws, job)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url("detail", job))
    assert response.status_code == 200
    return len(context.captured_queries)


def add_runs(job: SparkJob, count: int) -> None:
    for number in range(count):
        run = SparkJobRunFactory(
            spark_job=job,
            jobflow_id=f"j-{number}",
            status=Cluster.STATUS_TERMINATED_WITH_ERRORS if number % 3 else Cluster.STATUS_TERMINATED,
        )
        if number % 3:
            run.alert("STEP_FAILURE", f"Step {number} failed.")


def test_the_detail_page_makes_as_many_queries_for_200_runs_as_for_5(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs
) -> None:
    client = client_for(owner)
    few = SparkJobFactory(created_by=owner, identifier="few-runs", emr_release=release)
    many = SparkJobFactory(created_by=owner, identifier="many-runs", emr_release=release)
    add_runs(few, 5)
    add_runs(many, 200)
    assert count_detail_queries(client, few, aws) == count_detail_queries(client, many, aws)


def test_the_runs_table_lets_its_dates_wrap_to_fit_its_column(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    moment = timezone.now().replace(year=2026, month=11, day=28, hour=1, minute=2)
    SparkJobRunFactory(spark_job=spark_job, jobflow_id="j-2AB3CD4EF5GH6", scheduled_at=moment)
    stub_detail(aws, spark_job)
    page = client_for(owner).get(url("detail", spark_job)).content.decode()
    table = page[page.index('data-testid="runs-table"') - 100 : page.index("</table>")]
    # At 1280 px the job flow id used to end up out of view: only ids and durations keep to one line.
    assert "text-nowrap" not in table[:200]
    assert '<time datetime="2026-11-28T01:02' in table
    assert 'title="2026-11-28 01:02 UTC"' in table
    assert (
        '<td data-label="Jobflow ID" class="font-monospace small text-nowrap">j-2AB3CD4EF5GH6</td>' in table
    )
