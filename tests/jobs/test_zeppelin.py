"""The Markdown output of a Zeppelin note's latest run."""

from __future__ import annotations

from typing import Any

import pytest

from atmo.jobs.models import SparkJob
from tests.aws import AWSStubs
from tests.jobs.conftest import (
    PRIVATE_BUCKET,
    PUBLIC_BUCKET,
    body,
    stub_listing,
)
from tests.jobs.factories import SparkJobFactory
from tests.jobs.pages import url

pytestmark = pytest.mark.django_db


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
    job = SparkJobFactory(created_by=owner, emr_release=release, result_visibility=SparkJob.RESULT_PUBLIC)
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
