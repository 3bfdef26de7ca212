""" "Run now" with the job's parameters: defaults filled in, overrides for this run only, checked."""

from __future__ import annotations

from typing import Any

import pytest

from atmo.jobs.models import SparkJob
from tests.aws import AWSStubs
from tests.jobs.helpers import stub_run_job_flow
from tests.jobs.pages import url

pytestmark = pytest.mark.django_db

PARAMETERS = [
    {"name": "country", "type": "text", "default": "DE"},
    {"name": "limit", "type": "integer", "default": 10},
    {"name": "sample", "type": "number", "default": 0.5},
    {"name": "dry_run", "type": "boolean", "default": False},
    {"name": "since", "type": "date", "default": "2026-01-01"},
]


@pytest.fixture
def job(spark_job: SparkJob) -> SparkJob:
    spark_job.parameters = PARAMETERS
    spark_job.save()
    return spark_job


def test_the_confirmation_offers_each_parameter_with_its_default(
    client_for: Any, owner: Any, job: SparkJob, aws: AWSStubs
) -> None:
    page = client_for(owner).get(url("run", job)).content.decode()
    assert 'name="run-country" value="DE"' in page
    assert 'type="number" name="run-limit" value="10" step="1"' in page
    assert 'type="date" name="run-since" value="2026-01-01"' in page
    assert '<option value="false" selected>false</option>' in page


def test_a_run_gets_the_overrides_and_the_job_keeps_its_defaults(
    client_for: Any, owner: Any, job: SparkJob, aws: AWSStubs
) -> None:
    stub_run_job_flow(aws)
    post = {
        "run-country": "FR",
        "run-limit": "25",
        "run-sample": "0.1",
        "run-dry_run": "true",
        "run-since": "2026-12-01",
    }
    response = client_for(owner).post(url("run", job), post)
    run = job.runs.get()
    assert response.status_code == 302 and response["Location"] == url("detail", job)
    assert run.parameters == {
        "country": "FR",
        "limit": 25,
        "sample": 0.1,
        "dry_run": True,
        "since": "2026-12-01",
    }
    assert run.requested_by == owner
    job.refresh_from_db()
    assert job.parameters == PARAMETERS


def test_a_value_of_the_wrong_type_is_explained_and_nothing_typed_is_lost(
    client_for: Any, owner: Any, job: SparkJob, aws: AWSStubs
) -> None:
    post = {
        "run-country": "FR",
        "run-limit": "lots",
        "run-sample": "0.1",
        "run-dry_run": "true",
        "run-since": "2026-13-01",
    }
    response = client_for(owner).post(url("run", job), post)
    assert response.status_code == 200
    page = response.content.decode()
    assert "“lots” is not a whole number." in page
    assert "“2026-13-01” is not a date (YYYY-MM-DD)." in page
    assert 'name="run-country" value="FR"' in page
    assert 'value="lots"' in page
    assert not job.runs.exists()


def test_a_job_without_parameters_runs_as_before(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    assert 'data-testid="run-parameters"' not in client_for(owner).get(url("run", spark_job)).content.decode()
    stub_run_job_flow(aws)
    client_for(owner).post(url("run", spark_job))
    assert spark_job.runs.get().parameters == {}


def test_the_maintainers_cannot_run_another_users_job(
    client_for: Any, maintainer: Any, job: SparkJob, aws: AWSStubs
) -> None:
    assert client_for(maintainer).post(url("run", job), {"run-country": "FR"}).status_code == 403
    assert not job.runs.exists()
