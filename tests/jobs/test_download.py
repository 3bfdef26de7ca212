"""Downloading a job's notebook, streamed from S3."""

from __future__ import annotations

from typing import Any

import pytest

from atmo.jobs.models import SparkJob
from tests.aws import AWSStubs
from tests.jobs.conftest import (
    stub_notebook,
)
from tests.jobs.factories import SparkJobFactory
from tests.jobs.pages import url

pytestmark = pytest.mark.django_db


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
    job = SparkJobFactory(created_by=owner, emr_release=release, notebook_s3_key=key)
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
