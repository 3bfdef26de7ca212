"""Scheduling a new job, and notebooks that survive a form error without a second upload."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_groups_with_perms

from atmo.clusters.models import max_cluster_size
from atmo.jobs.forms import MESSAGES
from atmo.jobs.models import SparkJob
from tests.aws import AWSStubs
from tests.clusters.factories import EMRReleaseFactory
from tests.jobs.conftest import (
    CODE_BUCKET,
    ZEPPELIN_NOTE,
    notebook_bytes,
    notebook_upload,
    stub_upload,
)
from tests.jobs.pages import FORMAT, edit_post, messages_of, new_post, url

pytestmark = pytest.mark.django_db


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
    EMRReleaseFactory(
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
