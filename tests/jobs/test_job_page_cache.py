"""The job page keeps what it read from S3 until it can have changed, and never an error."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.jobs import s3_cache
from atmo.jobs.models import SparkJob, SparkJobRun
from atmo.jobs.provisioners import PRIVATE_LINK_SECONDS
from atmo.provisioners import JobFlowInfo
from tests.aws import AWSStubs
from tests.jobs.conftest import (
    JUPYTER_NOTEBOOK,
    PUBLIC_BUCKET,
    notebook_bytes,
    notebook_upload,
    stub_listing,
    stub_notebook,
    stub_upload,
)
from tests.jobs.factories import SparkJobRunFactory
from tests.jobs.pages import edit_post, stub_detail, url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def s3_reads_only(settings: Any) -> None:
    """These tests are about the S3 reads under the page: a whole-page cache stays out of them.

    (``ATMO_PAGE_CACHE``, the page cache of main, would answer a second view by itself.)
    """
    settings.ATMO_PAGE_CACHE = False


RESULT_KEYS = ["daily-report/runs/7/notebook.ipynb", "daily-report/runs/7/log.txt"]


def view(client: Any, job: SparkJob) -> Any:
    response = client.get(url("detail", job))
    assert response.status_code == 200
    return response


def result_names(response: Any) -> list[str]:
    return [link.name for group in ("data", "logs") for link in response.context["results"][group]]


def test_a_second_view_of_the_page_makes_no_s3_call(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    SparkJobRunFactory(spark_job=spark_job, status=Cluster.STATUS_TERMINATED)
    stub_detail(aws, spark_job, RESULT_KEYS)
    client = client_for(owner)
    first = view(client, spark_job)
    assert aws.calls == [("s3", "ListObjectsV2"), ("s3", "GetObject")]

    aws.calls.clear()
    second = view(client, spark_job)
    assert aws.calls == []
    assert result_names(second) == result_names(first) == ["runs/7/notebook.ipynb", "runs/7/log.txt"]
    assert second.context["results_error"] == second.context["preview_error"] == ""
    assert "print(42)" in second.content.decode()
    # The same signed links, which still work for most of their time (see the next test).
    assert [link.url for link in second.context["results"]["data"]] == [
        link.url for link in first.context["results"]["data"]
    ]
    assert "Signature" in urlsplit(second.context["results"]["data"][0].url).query


def test_signed_links_are_kept_for_a_fraction_of_their_life_and_the_listing_not_for_ever(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    stub_detail(aws, spark_job, RESULT_KEYS)
    view(client_for(owner), spark_job)
    listing_key = s3_cache.results_cache_key(spark_job)
    assert 0 < cache.ttl(f"{listing_key}:links") <= s3_cache.SIGNED_LINKS_SECONDS
    assert s3_cache.SIGNED_LINKS_SECONDS <= PRIVATE_LINK_SECONDS // 4
    assert 0 < cache.ttl(listing_key) <= s3_cache.RESULTS_LISTING_SECONDS
    assert "work for at least 8 minutes" in view(client_for(owner), spark_job).content.decode()


def test_the_results_of_a_run_that_just_ended_show_at_once(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    run = SparkJobRunFactory(spark_job=spark_job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    stub_detail(aws, spark_job, [])
    client = client_for(owner)
    assert result_names(view(client, spark_job)) == []

    # The status sweep sees the run's cluster end (and looks for the run's outcome.json).
    aws.s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)
    now = timezone.now()
    ended = JobFlowInfo("j-RUN", Cluster.STATUS_TERMINATED, now - timedelta(hours=1), None, now, None, None)
    SparkJobRun.sync_many([(SparkJobRun.objects.get(pk=run.pk), ended)])
    stub_listing(aws, spark_job.identifier, RESULT_KEYS)
    aws.calls.clear()
    assert result_names(view(client, spark_job)) == ["runs/7/notebook.ipynb", "runs/7/log.txt"]
    assert aws.calls == [("s3", "ListObjectsV2")]  # the notebook did not change: its preview is kept


def test_a_new_run_lists_the_results_again(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    SparkJobRunFactory(spark_job=spark_job, status=Cluster.STATUS_TERMINATED)
    stub_detail(aws, spark_job, RESULT_KEYS[:1])
    client = client_for(owner)
    view(client, spark_job)
    SparkJobRunFactory(spark_job=spark_job, status=Cluster.STATUS_TERMINATED)
    stub_listing(aws, spark_job.identifier, RESULT_KEYS)
    aws.calls.clear()
    assert result_names(view(client, spark_job)) == ["runs/7/notebook.ipynb", "runs/7/log.txt"]
    assert aws.calls == [("s3", "ListObjectsV2")]


def test_a_notebook_uploaded_again_under_the_same_name_is_previewed_at_once(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    stub_detail(aws, spark_job)
    client = client_for(owner)
    assert "print(42)" in view(client, spark_job).content.decode()

    cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ["print(43)"], "outputs": []}
    replaced = {**JUPYTER_NOTEBOOK, "cells": [cell]}
    stub_upload(aws, spark_job.notebook_s3_key)
    posted = client.post(
        url("edit", spark_job),
        {**edit_post(spark_job), "edit-notebook": notebook_upload("report.ipynb", notebook_bytes(replaced))},
    )
    assert posted.status_code == 302, posted.context["form"].errors
    stub_notebook(aws, spark_job.notebook_s3_key, notebook_bytes(replaced))
    aws.calls.clear()
    page = view(client, spark_job).content.decode()
    assert "print(43)" in page and "print(42)" not in page
    assert aws.calls == [("s3", "GetObject")]  # no run ended: the results listing is kept


def test_making_the_results_public_lists_and_links_the_public_bucket(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    stub_detail(aws, spark_job, RESULT_KEYS)
    client = client_for(owner)
    assert "Signature=" in view(client, spark_job).context["results"]["data"][0].url

    spark_job.result_visibility = SparkJob.RESULT_PUBLIC
    spark_job.save()
    stub_listing(aws, spark_job.identifier, RESULT_KEYS[:1], bucket=PUBLIC_BUCKET)
    stub_notebook(aws, spark_job.notebook_s3_key)  # the job changed: its preview is read again
    response = view(client, spark_job)
    [link] = response.context["results"]["data"]
    assert link.url.endswith(RESULT_KEYS[0]) and "Signature" not in link.url
    assert "anyone with a link can read them" in response.content.decode()
    aws.calls.clear()
    assert view(client, spark_job).context["results"]["data"] == [link]
    assert aws.calls == []


def test_an_aws_error_is_shown_and_not_kept_and_what_s3_gives_next_is(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    aws.s3.add_client_error("list_objects_v2", "SlowDown", "Please reduce your request rate.", 503)
    aws.s3.add_client_error("get_object", "AccessDenied", "Access Denied.", 403)
    client = client_for(owner)
    failed = view(client, spark_job)
    page = failed.content.decode()
    assert "The results could not be listed from S3: AWS is busy" in page
    assert "The notebook could not be fetched from S3: AWS refused (Access Denied)." in page
    assert failed["Cache-Control"] == "no-store"  # nor may any other cache keep it

    stub_detail(aws, spark_job, RESULT_KEYS)
    response = view(client, spark_job)
    assert response.context["results_error"] == response.context["preview_error"] == ""
    assert "Cache-Control" not in response
    assert result_names(response) == ["runs/7/notebook.ipynb", "runs/7/log.txt"]
    assert "print(42)" in response.content.decode()
    aws.calls.clear()
    assert result_names(view(client, spark_job)) == ["runs/7/notebook.ipynb", "runs/7/log.txt"]
    assert aws.calls == []


def test_a_missing_notebook_is_looked_for_again_on_the_next_view(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    stub_listing(aws, spark_job.identifier, [])
    aws.s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)
    client = client_for(owner)
    assert "The notebook is no longer stored in S3." in view(client, spark_job).content.decode()
    stub_notebook(aws, spark_job.notebook_s3_key)
    assert "print(42)" in view(client, spark_job).content.decode()
    aws.calls.clear()
    assert "print(42)" in view(client, spark_job).content.decode()
    assert aws.calls == []


def test_a_notebook_that_cannot_be_shown_says_so_again_without_asking_s3(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    """Its content, not S3, is at fault: the reason is kept like a preview."""
    stub_detail(aws, spark_job, content=b"{not json")
    client = client_for(owner)
    first = view(client, spark_job).context["preview_error"]
    assert first.startswith("The notebook cannot be shown")
    aws.calls.clear()
    assert view(client, spark_job).context["preview_error"] == first
    assert aws.calls == []


def test_with_the_page_cache_on_an_error_page_is_asked_again_and_so_is_its_poll(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs, settings: Any
) -> None:
    settings.ATMO_PAGE_CACHE = True
    aws.s3.add_client_error("list_objects_v2", "SlowDown", "Please reduce your request rate.", 503)
    aws.s3.add_client_error("get_object", "AccessDenied", "Access Denied.", 403)
    client = client_for(owner)
    failed = client.get(url("detail", spark_job)).content.decode()
    assert "The results could not be listed from S3" in failed
    # The poller carries a version no poll matches: its first poll renders the regions again.
    etag = failed.split('data-etag="')[1].split('"')[0].replace("&quot;", '"')
    assert etag.endswith('-retry"')

    stub_listing(aws, spark_job.identifier, RESULT_KEYS)
    poll = client.get(
        url("detail", spark_job),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="live-poller",
        HTTP_IF_NONE_MATCH=etag,
    )
    assert poll.status_code == 200
    assert "runs/7/log.txt" in poll.content.decode()
    assert not poll["ETag"].endswith('-retry"')

    # The page itself was not kept either: the next view asks S3 for the notebook again.
    stub_notebook(aws, spark_job.notebook_s3_key)
    aws.calls.clear()
    page = client.get(url("detail", spark_job)).content.decode()
    assert aws.calls == [("s3", "GetObject")]
    assert "runs/7/log.txt" in page
    assert "could not be" not in page


def test_a_poll_that_meets_an_s3_error_is_not_answered_304_afterwards(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs, settings: Any
) -> None:
    settings.ATMO_PAGE_CACHE = True
    client = client_for(owner)
    poll_headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "live-poller"}
    aws.s3.add_client_error("list_objects_v2", "SlowDown", "Please reduce your request rate.", 503)
    failed = client.get(url("detail", spark_job), **poll_headers)
    assert "The results could not be listed from S3" in failed.content.decode()
    assert failed["ETag"].endswith('-retry"')
    stub_listing(aws, spark_job.identifier, RESULT_KEYS)
    again = client.get(url("detail", spark_job), HTTP_IF_NONE_MATCH=failed["ETag"], **poll_headers)
    assert again.status_code == 200
    assert "runs/7/log.txt" in again.content.decode()
