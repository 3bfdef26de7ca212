from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone
from guardian.shortcuts import get_groups_with_perms, get_users_with_perms

from atmo.clusters.models import Cluster, EMRRelease, max_cluster_size
from atmo.decorators import MODIFIED_DATE_HEADER
from atmo.jobs import views
from atmo.jobs.forms import MESSAGES
from atmo.jobs.models import RunNow, SparkJob
from atmo.jobs.views import RUN_NOW_REFUSALS
from tests.aws import AWSStubs
from tests.clusters.helpers import emr_cluster
from tests.jobs.conftest import (
    CODE_BUCKET,
    PRIVATE_BUCKET,
    PUBLIC_BUCKET,
    ZEPPELIN_NOTE,
    body,
    notebook_bytes,
    notebook_upload,
    stub_listing,
    stub_notebook,
    stub_upload,
)
from tests.jobs.helpers import committed, make_job, make_run, stub_run_job_flow
from tests.jobs.pages import FORMAT, JOB_ROUTES, edit_post, messages_of, new_post, stub_detail, url

pytestmark = pytest.mark.django_db

BUSY_MESSAGE = RUN_NOW_REFUSALS[RunNow.BUSY]
RUN_STARTING_MESSAGE = (
    "A run of the job is starting: its cluster is being requested from AWS. Nothing was deleted. "
    "Please try again in a minute."
)

# --- Who may do what --------------------------------------------------------------------


@pytest.mark.parametrize(("action", "method"), JOB_ROUTES)
def test_anonymous_visitors_are_sent_to_log_in(
    client: Any, spark_job: SparkJob, action: str, method: str
) -> None:
    response = getattr(client, method)(url(action, spark_job))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users-login"))


@pytest.mark.parametrize("name", ["jobs-new", "jobs-identifier-available"])
def test_anonymous_visitors_cannot_create_or_check_identifiers(client: Any, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users-login"))


@pytest.mark.parametrize(("action", "method"), JOB_ROUTES)
def test_other_users_are_refused_on_every_route(
    client_for: Any, spark_job: SparkJob, stranger: Any, aws: AWSStubs, action: str, method: str
) -> None:
    # The aws fixture fails the test on any AWS call: nothing is even looked up.
    response = getattr(client_for(stranger), method)(url(action, spark_job))
    assert response.status_code == 403
    assert SparkJob.objects.filter(pk=spark_job.pk).exists()
    assert not spark_job.runs.exists()


@pytest.mark.parametrize(("action", "method"), JOB_ROUTES)
def test_a_missing_job_is_not_found(client_for: Any, owner: Any, action: str, method: str) -> None:
    assert getattr(client_for(owner), method)(url(action, 4242)).status_code == 404


# --- New job ----------------------------------------------------------------------------------


def test_the_new_job_page_offers_sensible_defaults(client_for: Any, owner: Any, release: Any) -> None:
    response = client_for(owner).get(reverse("jobs-new"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["size"].value() == 1
    assert form["interval_in_hours"].value() == SparkJob.INTERVAL_WEEKLY
    assert form["job_timeout"].value() == 24
    assert form["emr_release"].value() == release.pk
    assert timezone.make_aware(form["start_date"].value()) > timezone.now()
    page = response.content.decode()
    assert f'data-availability-url="{reverse("jobs-identifier-available")}"' in page
    assert "js/jobs-form.js" in page
    assert "This identifier is taken" in page
    assert 'enctype="multipart/form-data"' in page


def test_the_new_job_form_shows_each_releases_help(client_for: Any, owner: Any, release: Any) -> None:
    # As on the launch form; the edit form keeps the job's release, so it has no choice to explain.
    EMRRelease.objects.create(
        version="6.9.0",
        is_deprecated=True,
        help_text="Kept for jobs that need Spark 3.3 <only>.",
        changelog_url="https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-690-release.html",
    )

    body = client_for(owner).get(reverse("jobs-new")).content.decode()

    radio = re.search(r'<input[^>]*value="6\.9\.0"[^>]*>', body)
    assert radio is not None
    help_id = re.search(r'aria-describedby="([^"]+_help)"', radio.group(0))
    assert help_id is not None, radio.group(0)
    assert f'id="{help_id.group(1)}" data-testid="release-help">' in body
    assert "Kept for jobs that need Spark 3.3 &lt;only&gt;." in body
    assert 'target="_blank" rel="noopener">What is in 6.9.0</a>' in body


def test_scheduling_a_job_uploads_the_notebook_and_opens_the_job(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs
) -> None:
    stub_upload(aws, "jobs/weekly-report/report.ipynb")
    response = client_for(owner).post(
        reverse("jobs-new"), {**new_post(release), "new-notebook": notebook_upload()}
    )
    job = SparkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", job)
    assert job.notebook_s3_key == "jobs/weekly-report/report.ipynb"
    assert job.created_by == owner
    assert "Spark job <strong>weekly-report</strong> scheduled." in messages_of(response)[0]
    assert not get_groups_with_perms(job)  # maintainers see it through their group's permission


def test_invalid_input_shows_the_form_again_with_the_errors(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs
) -> None:
    response = client_for(owner).post(
        reverse("jobs-new"),
        {**new_post(release, identifier="Bad Name"), "new-notebook": notebook_upload("x.txt")},
    )
    assert response.status_code == 200
    assert not SparkJob.objects.exists()
    page = response.content.decode()
    assert MESSAGES["notebook_extension"] in page
    assert "is-invalid" in page


def test_s3_refusing_the_notebook_saves_nothing_keeps_the_input_and_the_file_can_be_reused(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs
) -> None:
    client = client_for(owner)
    token = client.get(reverse("jobs-new")).context["form"]["notebook-cache"].value()
    data = new_post(release, token=token, description="Kept after the error.")
    aws.s3.add_client_error("put_object", "AccessDenied", "Access Denied", 403)
    response = client.post(reverse("jobs-new"), {**data, "new-notebook": notebook_upload()})

    assert response.status_code == 200
    assert not SparkJob.objects.exists()
    page = response.content.decode()
    assert (
        "The notebook could not be stored: AWS refused (Access Denied). Nothing was saved. "
        "Please try again, and tell the ATMO team if it keeps failing."
    ) in page
    assert 'value="weekly-report"' in page
    assert "Kept after the error." in page
    assert "Already uploaded: <strong>report.ipynb</strong>" in page

    # The second submission carries no file: it comes back from the cache.
    stub_upload(aws, "jobs/weekly-report/report.ipynb")
    response = client.post(reverse("jobs-new"), data)
    assert response.status_code == 302
    assert SparkJob.objects.get().notebook_s3_key == "jobs/weekly-report/report.ipynb"


def stub_upload_of(aws: AWSStubs, key: str, content: bytes) -> None:
    """S3 takes the notebook at ``key``, and only with exactly ``content``."""
    aws.s3.add_response("put_object", {}, {"Bucket": CODE_BUCKET, "Key": key, "Body": content})


def test_a_notebook_uploaded_with_another_fields_error_needs_no_second_upload(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs
) -> None:
    client = client_for(owner)
    token = client.get(reverse("jobs-new")).context["form"]["notebook-cache"].value()
    start = timezone.now() + timedelta(days=1)
    data = new_post(release, token=token, start_date=start.strftime(FORMAT))
    early_end = (start - timedelta(hours=1)).strftime(FORMAT)
    # The aws fixture fails the test on any S3 call: nothing is stored before the form is valid.
    response = client.post(
        reverse("jobs-new"), {**data, "new-end_date": early_end, "new-notebook": notebook_upload()}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert MESSAGES["end_before_start"] in page
    assert "Already uploaded: <strong>report.ipynb</strong>" in page
    assert not SparkJob.objects.exists()

    stub_upload_of(aws, "jobs/weekly-report/report.ipynb", notebook_bytes())
    response = client.post(reverse("jobs-new"), data)  # no file this time
    assert response.status_code == 302
    assert SparkJob.objects.get().notebook_s3_key == "jobs/weekly-report/report.ipynb"


def test_a_replacement_notebook_survives_another_fields_error_on_the_edit_page(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    client = client_for(owner)
    token = client.get(url("edit", spark_job)).context["form"]["notebook-cache"].value()
    content = notebook_bytes(ZEPPELIN_NOTE)
    too_big = max_cluster_size() + 1
    response = client.post(
        url("edit", spark_job),
        {
            **edit_post(spark_job, token=token, size=too_big),
            "edit-notebook": notebook_upload("note.json", content),
        },
    )

    assert response.status_code == 200
    assert "Already uploaded: <strong>note.json</strong>" in response.content.decode()
    spark_job.refresh_from_db()
    assert (spark_job.size, spark_job.notebook_s3_key) == (2, "jobs/daily-report/report.ipynb")

    stub_upload_of(aws, "jobs/daily-report/note.json", content)
    aws.s3.add_response("delete_object", {}, {"Bucket": CODE_BUCKET, "Key": "jobs/daily-report/report.ipynb"})
    response = client.post(url("edit", spark_job), edit_post(spark_job, token=token, size=3))
    assert response.status_code == 302
    spark_job.refresh_from_db()
    assert (spark_job.size, spark_job.notebook_s3_key) == (3, "jobs/daily-report/note.json")


# --- Edit --------------------------------------------------------------------------------------


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
    last_run_at = timezone.now() - timedelta(hours=3)
    spark_job.schedule.reschedule(last_run_at=last_run_at)
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
    # No extra run: the schedule still counts from the last one.
    assert spark_job.schedule.get().last_run_at == last_run_at
    assert not spark_job.runs.exists()


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


# --- Delete ------------------------------------------------------------------------------------


def test_the_delete_page_asks_first(client_for: Any, owner: Any, spark_job: SparkJob) -> None:
    response = client_for(owner).get(url("delete", spark_job))
    assert response.status_code == 200
    assert "Delete the Spark job daily-report?" in response.content.decode()
    assert SparkJob.objects.exists()


def test_deleting_stops_the_cluster_and_removes_notebook_schedule_and_permissions(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    make_run(spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    schedule = spark_job.schedule
    assert schedule.get() is not None
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
    assert schedule.get() is None
    assert not get_users_with_perms(spark_job) and not get_groups_with_perms(spark_job)


def test_a_cluster_that_cannot_be_stopped_keeps_the_job(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    make_run(spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    aws.emr.add_client_error("terminate_job_flows", "ThrottlingException", "Rate exceeded", 400)
    response = client_for(owner).post(url("delete", spark_job))
    assert response.status_code == 302
    assert response["Location"] == url("detail", spark_job)
    assert messages_of(response) == [
        "The cluster of the current run could not be stopped: AWS is busy and asked us to slow down "
        "(Rate exceeded). Nothing was deleted. Please try again in a minute."
    ]
    assert SparkJob.objects.filter(pk=spark_job.pk).exists()
    assert spark_job.schedule.get() is not None


# --- Detail ------------------------------------------------------------------------------------


def test_the_detail_page_shows_schedule_runs_alerts_results_and_notebook(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    now = timezone.now()
    failed = make_run(
        spark_job,
        jobflow_id="j-FAILED",
        status=Cluster.STATUS_TERMINATED_WITH_ERRORS,
        scheduled_at=now - timedelta(days=2),
        ready_at=now - timedelta(days=2),
        finished_at=now - timedelta(days=1, hours=23),
    )
    failed.alert("BOOTSTRAP_FAILURE", "The bootstrap action failed.")
    make_run(
        spark_job,
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
        assert f'data-live-region="{region}"' in page


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
    job = make_job(
        owner, identifier="open-data", result_visibility=SparkJob.RESULT_PUBLIC, emr_release=release
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
    job = make_job(owner, emr_release=release, **fields)
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
    job = make_job(owner, emr_release=release, notebook_s3_key="jobs/daily-report/note.json")
    stub_detail(aws, job, content=json.dumps(ZEPPELIN_NOTE).encode())
    page = client_for(owner).get(url("detail", job)).content.decode()
    assert "Zeppelin note" in page
    assert '<h3 class="h6">Count</h3>' in page
    assert "spark.range(3).count()" in page


def test_the_page_check_with_head_calls_no_aws_and_sends_the_latest_change(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    run = make_run(spark_job)
    response = client_for(owner).head(url("detail", spark_job))
    assert response.status_code == 200
    assert response[MODIFIED_DATE_HEADER] == max(run.modified_at, spark_job.modified_at).isoformat()


def count_detail_queries(client: Any, job: SparkJob, aws: AWSStubs) -> int:
    stub_detail(aws, job)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url("detail", job))
    assert response.status_code == 200
    return len(context.captured_queries)


def make_runs(job: SparkJob, count: int) -> None:
    for number in range(count):
        run = make_run(
            job,
            jobflow_id=f"j-{number}",
            status=Cluster.STATUS_TERMINATED_WITH_ERRORS if number % 3 else Cluster.STATUS_TERMINATED,
        )
        if number % 3:
            run.alert("STEP_FAILURE", f"Step {number} failed.")


def test_the_detail_page_makes_as_many_queries_for_200_runs_as_for_5(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs
) -> None:
    client = client_for(owner)
    few = make_job(owner, identifier="few-runs", emr_release=release)
    many = make_job(owner, identifier="many-runs", emr_release=release)
    make_runs(few, 5)
    make_runs(many, 200)
    assert count_detail_queries(client, few, aws) == count_detail_queries(client, many, aws)


# --- Download ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "content_type"),
    [
        ("jobs/daily-report/report.ipynb", "application/x-ipynb+json"),
        ("jobs/daily-report/note.json", "application/json"),
    ],
)
def test_the_notebook_is_downloaded_as_a_file_of_its_type(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs, key: str, content_type: str
) -> None:
    job = make_job(owner, emr_release=release, notebook_s3_key=key)
    content = '{"cells": [], "note": "caf\u00e9"}'.encode()
    stub_notebook(aws, key, content)
    response = client_for(owner).get(url("download", job))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Length"] == str(len(content))
    name = key.rsplit("/", 1)[-1]
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert b"".join(response.streaming_content) == content


def test_a_notebook_s3_lost_is_a_clear_404(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    aws.s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)
    response = client_for(owner).get(url("download", spark_job))
    assert response.status_code == 404
    assert "The notebook of daily-report is no longer stored." in response.content.decode()


# --- Run now -----------------------------------------------------------------------------------


def test_run_now_asks_first_and_explains_the_schedule(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    response = client_for(owner).get(url("run", spark_job))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The schedule itself does not change" in page
    assert "The next scheduled run counts from this one" in page
    assert not spark_job.runs.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_run_now_while_a_run_is_under_way_says_so(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs, method: str
) -> None:
    make_run(spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    # The stored status may be out of date: EMR is asked first.
    aws.emr.add_response(
        "describe_cluster", {"Cluster": emr_cluster("j-RUN", "RUNNING")}, {"ClusterId": "j-RUN"}
    )
    response = getattr(client_for(owner), method)(url("run", spark_job))
    assert response.status_code == 302
    assert response["Location"] == url("detail", spark_job)
    assert messages_of(response) == [BUSY_MESSAGE]
    assert spark_job.runs.count() == 1


def test_run_now_starts_a_run_and_counts_the_schedule_from_it(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    stub_run_job_flow(aws)
    response = client_for(owner).post(url("run", spark_job))
    assert response.status_code == 302
    run = spark_job.runs.get()
    assert run.jobflow_id == "j-NOW"
    assert spark_job.schedule.get().last_run_at == run.scheduled_at
    assert messages_of(response) == ["Run of <strong>daily-report</strong> started (j-NOW)."]


def test_run_now_when_aws_is_throttling_asks_to_try_again(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    aws.add_spark_configuration()
    aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
    before = spark_job.schedule.get().last_run_at
    response = client_for(owner).post(url("run", spark_job))
    assert messages_of(response) == [
        "The run could not be started: AWS is busy and asked us to slow down (Rate exceeded). "
        "Please try again in a minute."
    ]
    assert not spark_job.runs.exists()
    assert spark_job.schedule.get().last_run_at == before


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


def test_run_now_works_when_the_schedule_entry_is_missing(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs
) -> None:
    past = timezone.now() - timedelta(days=1)
    job = make_job(owner, emr_release=release, start_date=past - timedelta(days=3), end_date=past)
    job.expire()
    assert job.schedule.get() is None
    stub_run_job_flow(aws)
    response = client_for(owner).post(url("run", job))
    assert response.status_code == 302
    assert job.runs.get().jobflow_id == "j-NOW"
    assert job.schedule.get() is None


def test_a_disabled_job_cannot_be_run_now(client_for: Any, owner: Any, release: Any, aws: AWSStubs) -> None:
    job = make_job(owner, emr_release=release, is_enabled=False)
    response = client_for(owner).post(url("run", job))
    assert messages_of(response) == ["This job was disabled by an administrator, so it cannot run."]
    assert not job.runs.exists()


# --- Zeppelin output ---------------------------------------------------------------------------


def test_the_zeppelin_output_comes_from_the_private_bucket_of_a_private_job(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    keys = [
        "daily-report/data/2026-01-01T00/old.md",
        "daily-report/data/2026-01-02T00/b.md",
        "daily-report/data/2026-01-02T00/a.md",
        "daily-report/data/2026-01-02T00/table.csv",
        "daily-report/logs/2026-01-02T00/run.md",
    ]
    stub_listing(aws, "daily-report", keys, bucket=PRIVATE_BUCKET)
    for key, text in [("a", "# First <script>x</script>"), ("b", "**second**")]:
        content = text.encode()
        aws.s3.add_response(
            "get_object",
            {"Body": body(content)},
            {"Bucket": PRIVATE_BUCKET, "Key": f"daily-report/data/2026-01-02T00/{key}.md"},
        )
    response = client_for(owner).get(url("zeppelin", spark_job))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>First &lt;script&gt;x&lt;/script&gt;</h1>" in page
    assert "<strong>second</strong>" in page
    assert page.index("a.md") < page.index("b.md")
    assert "old.md" not in page


def test_the_zeppelin_output_of_a_public_job_comes_from_the_public_bucket(
    client_for: Any, owner: Any, release: Any, aws: AWSStubs
) -> None:
    job = make_job(owner, emr_release=release, result_visibility=SparkJob.RESULT_PUBLIC)
    stub_listing(aws, job.identifier, ["daily-report/data/out.md"], bucket=PUBLIC_BUCKET)
    aws.s3.add_response(
        "get_object", {"Body": body(b"hello")}, {"Bucket": PUBLIC_BUCKET, "Key": "daily-report/data/out.md"}
    )
    assert "<p>hello</p>" in client_for(owner).get(url("zeppelin", job)).content.decode()


@pytest.mark.parametrize("keys", [[], ["daily-report/logs/2026/run.log"], ["daily-report/data/out.csv"]])
def test_no_markdown_output_is_a_friendly_message(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs, keys: list[str]
) -> None:
    stub_listing(aws, "daily-report", keys)
    response = client_for(owner).get(url("zeppelin", spark_job))
    assert response.status_code == 200
    assert "No Markdown output yet" in response.content.decode()


# --- Identifier availability -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status", "answer"),
    [
        ("", 400, "identifier invalid"),
        ("?identifier=", 400, "identifier invalid"),
        ("?identifier=daily-report", 200, "identifier unavailable"),
        ("?identifier=something-else", 200, "identifier available"),
    ],
)
def test_the_identifier_availability_answers_in_plain_text(
    client_for: Any, stranger: Any, spark_job: SparkJob, query: str, status: int, answer: str
) -> None:
    response = client_for(stranger).get(reverse("jobs-identifier-available") + query)
    assert response.status_code == status
    assert response.content.decode() == answer
    assert response["Content-Type"].startswith("text/plain")


def test_the_zeppelin_page_is_the_documented_view(spark_job: SparkJob) -> None:
    assert resolve(url("zeppelin", spark_job)).func is views.detail_zeppelin_job


# --- Delete while a run starts, Run now after a run ended -------------------------------------


def test_a_job_whose_run_is_starting_is_kept_with_a_clear_message(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    make_run(spark_job, jobflow_id=None, status=Cluster.REQUESTED)
    with committed():
        response = client_for(owner).post(url("delete", spark_job))
    assert response["Location"] == url("detail", spark_job)
    assert messages_of(response) == [RUN_STARTING_MESSAGE]
    assert SparkJob.objects.filter(pk=spark_job.pk).exists()
    assert spark_job.schedule.get() is not None


def test_run_now_asks_emr_first_and_starts_when_the_last_run_has_ended(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    make_run(spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
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
    make_run(spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    aws.emr.add_client_error("describe_cluster", "ThrottlingException", "Rate exceeded", 400)
    response = client_for(owner).get(url("run", spark_job))
    assert messages_of(response) == [BUSY_MESSAGE]


def test_the_runs_table_lets_its_dates_wrap_to_fit_its_column(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    moment = timezone.now().replace(year=2026, month=11, day=28, hour=1, minute=2)
    make_run(spark_job, jobflow_id="j-2AB3CD4EF5GH6", scheduled_at=moment)
    stub_detail(aws, spark_job)
    page = client_for(owner).get(url("detail", spark_job)).content.decode()
    table = page[page.index('data-testid="runs-table"') - 100 : page.index("</table>")]
    # At 1280 px the job flow id used to end up out of view: only ids and durations keep to one line.
    assert "text-nowrap" not in table[:200]
    assert '<span class="text-nowrap">2026-11-28</span> <span class="text-nowrap">01:02</span>' in table
    assert '<td class="font-monospace small text-nowrap">j-2AB3CD4EF5GH6</td>' in table


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
