"""What the job page tests share: URLs, routes, form posts, messages and the pages' S3 calls."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from atmo.jobs.models import SparkJob
from atmo.lib.parameters import format_value
from tests.aws import AWSStubs
from tests.jobs.conftest import PRIVATE_BUCKET, PUBLIC_BUCKET, stub_listing, stub_notebook

FORMAT = "%Y-%m-%d %H:%M"

#: Every route of an existing job, with the methods it answers.
JOB_ROUTES = [
    ("detail", "get"),
    ("detail", "head"),
    ("edit", "get"),
    ("edit", "post"),
    ("delete", "get"),
    ("delete", "post"),
    ("download", "get"),
    ("run", "get"),
    ("run", "post"),
    ("zeppelin", "get"),
]
#: The routes that change a job or start a run: its owner's only.
CHANGING = ("edit", "delete", "run")


def url(action: str, job: SparkJob | int) -> str:
    """The URL of one of a job's pages (``detail``, ``edit``…), by job or by id."""
    return reverse(f"jobs-{action}", kwargs={"id": job if isinstance(job, int) else job.pk})


def messages_of(response: Any) -> list[str]:
    """The flash messages the response's request left."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def new_post(release: Any, token: str = "", **overrides: Any) -> dict[str, Any]:
    """A valid new-job form post (without the file), with ``overrides``."""
    values: dict[str, Any] = {
        "identifier": "weekly-report",
        "description": "Counts the week's things.",
        "result_visibility": "private",
        "size": 2,
        "interval_in_hours": SparkJob.INTERVAL_WEEKLY,
        "job_timeout": 3,
        "start_date": (timezone.now() + timedelta(hours=2)).strftime(FORMAT),
        "end_date": "",
        "emr_release": release.pk,
        "notebook-cache": token,
    }
    values.update(overrides)
    return {f"new-{name}": value for name, value in values.items()}


def parameter_rows(definitions: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The parameter table's columns as the form posts them (defaults as typed)."""
    return {
        "parameters-name": [row["name"] for row in definitions],
        "parameters-type": [row["type"] for row in definitions],
        "parameters-default": [format_value(row["type"], row["default"]) for row in definitions],
    }


def edit_post(job: SparkJob, token: str = "", **overrides: Any) -> dict[str, Any]:
    """The edit form of ``job`` posted back unchanged (without a file), with ``overrides``."""
    values: dict[str, Any] = {
        "identifier": job.identifier,
        "description": job.description,
        "result_visibility": job.result_visibility,
        "size": job.size,
        "interval_in_hours": job.interval_in_hours,
        "job_timeout": job.job_timeout,
        "start_date": job.start_date.strftime(FORMAT),
        "end_date": job.end_date.strftime(FORMAT) if job.end_date else "",
        "retries": job.retries,
        "notebook-cache": token,
        **parameter_rows(job.parameters),
    }
    if job.retry_timeouts:
        values["retry_timeouts"] = "on"
    values.update(overrides)
    return {f"edit-{name}": value for name, value in values.items()}


def stub_detail(
    aws: AWSStubs, job: SparkJob, keys: list[str] | None = None, content: bytes | None = None
) -> None:
    """The S3 calls of the detail page, in their order: the results, then the notebook."""
    bucket = PUBLIC_BUCKET if job.is_public else PRIVATE_BUCKET
    stub_listing(aws, job.identifier, keys or [], bucket=bucket)
    stub_notebook(aws, job.notebook_s3_key, content)
