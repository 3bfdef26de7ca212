"""Job parameters, Run now with overrides, and runs with their outcome and outputs through the API."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.stub import ANY

from atmo.api.models import AccessToken
from atmo.costs.budgets import refusal_for
from atmo.costs.models import Budget
from atmo.jobs.models import SparkJob, SparkJobRun
from atmo.jobs.provisioners import SparkJobProvisioner
from tests.api.conftest import assert_problem
from tests.clusters.factories import EMRReleaseFactory
from tests.costs.test_budgets import spend
from tests.jobs.conftest import CODE_BUCKET, notebook_upload
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.test_run_now_parameters import PARAMETERS
from tests.jobs.test_run_outcome import FAILED_OUTCOME

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(user: Any) -> SparkJob:
    return SparkJobFactory(created_by=user, parameters=PARAMETERS, retries=2)


def run_now(api: Any, job: SparkJob, body: Any) -> Any:
    with mock.patch.object(SparkJobProvisioner, "run", autospec=True, return_value="j-NOW"):
        return api.post(f"/api/v1/jobs/{job.pk}/run/", body, format="json")


def test_a_job_shows_its_parameters_and_retries(api: Any, job: SparkJob) -> None:
    body = api.get(f"/api/v1/jobs/{job.pk}/").json()
    assert (body["parameters"], body["retries"], body["retry_timeouts"]) == (PARAMETERS, 2, False)


def test_parameters_change_as_a_json_list_checked_by_the_form(api: Any, job: SparkJob) -> None:
    parameters = [{"name": "limit", "type": "integer", "default": "50"}, {"name": "day", "type": "date"}]
    parameters[1]["default"] = "2026-12-24"
    response = api.patch(
        f"/api/v1/jobs/{job.pk}/",
        {"parameters": parameters, "retries": 1, "retry_timeouts": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    job.refresh_from_db()
    assert job.parameters == [
        {"name": "limit", "type": "integer", "default": 50},
        {"name": "day", "type": "date", "default": "2026-12-24"},
    ]
    assert (job.retries, job.retry_timeouts) == (1, True)
    assert response.json()["parameters"] == job.parameters


def test_a_new_job_takes_its_parameters_as_json_text_in_form_data(api: Any, user: Any, aws: Any) -> None:
    EMRReleaseFactory(version="7.1.0")
    aws.s3.add_response(
        "put_object", {}, {"Bucket": CODE_BUCKET, "Key": "jobs/nightly/report.ipynb", "Body": ANY}
    )
    fields = {
        "identifier": "nightly",
        "description": "Counts",
        "notebook": notebook_upload(),
        "parameters": json.dumps([{"name": "country", "type": "text", "default": "DE"}]),
        "retries": "1",
    }
    response = api.post("/api/v1/jobs/", fields, format="multipart")
    assert response.status_code == 201, response.content
    job = SparkJob.objects.get(created_by=user)
    assert (job.parameters, job.retries) == ([{"name": "country", "type": "text", "default": "DE"}], 1)


def test_a_change_of_other_fields_keeps_the_parameters(api: Any, job: SparkJob) -> None:
    response = api.patch(f"/api/v1/jobs/{job.pk}/", {"description": "New words"}, format="json")
    assert response.status_code == 200, response.content
    job.refresh_from_db()
    assert job.parameters == PARAMETERS


@pytest.mark.parametrize(
    ("parameters", "detail"),
    [
        ([{"name": "run_date", "type": "text", "default": ""}], "“run_date” is set by ATMO for every run"),
        ([{"name": "limit", "type": "integer", "default": "ten"}], "The default of “limit”: “ten” is not"),
        ("limit=10", 'Give the parameters as a list of {"name", "type", "default"} objects.'),
        ([["limit", "integer", 10]], 'Give the parameters as a list of {"name", "type", "default"} objects.'),
    ],
)
def test_bad_parameters_are_refused_with_a_pointer(
    api: Any, job: SparkJob, parameters: Any, detail: str
) -> None:
    body = assert_problem(
        api.patch(f"/api/v1/jobs/{job.pk}/", {"parameters": parameters}, format="json"), 400
    )
    assert [error["pointer"] for error in body["errors"]] == ["#/parameters"]
    assert body["errors"][0]["detail"].startswith(detail)
    job.refresh_from_db()
    assert job.parameters == PARAMETERS


def test_run_now_stores_the_overrides_typed(api: Any, user: Any, job: SparkJob) -> None:
    response = run_now(api, job, {"parameters": {"limit": "25", "dry_run": True, "sample": 0.1}})
    assert response.status_code == 201, response.content
    run = SparkJobRun.objects.get(spark_job=job)
    expected = {"country": "DE", "limit": 25, "sample": 0.1, "dry_run": True, "since": "2026-01-01"}
    assert run.parameters == expected
    assert run.requested_by == user
    body = response.json()
    assert (body["parameters"], body["manual"], body["requested_by"]) == (expected, True, "alice@example.com")
    job.refresh_from_db()
    assert job.parameters == PARAMETERS


def test_run_now_without_a_body_runs_with_the_defaults(api: Any, job: SparkJob) -> None:
    with mock.patch.object(SparkJobProvisioner, "run", autospec=True, return_value="j-NOW"):
        response = api.post(f"/api/v1/jobs/{job.pk}/run/")
    assert response.status_code == 201, response.content
    assert SparkJobRun.objects.get(spark_job=job).parameters == {
        "country": "DE",
        "limit": 10,
        "sample": 0.5,
        "dry_run": False,
        "since": "2026-01-01",
    }


@pytest.mark.parametrize(
    ("overrides", "pointer", "detail"),
    [
        ({"limit": "many"}, "#/parameters/limit", "“many” is not a whole number."),
        ({"since": "2026-13-01"}, "#/parameters/since", "“2026-13-01” is not a date (YYYY-MM-DD)."),
        ({"limits": 3}, "#/parameters/limits", "The job has no parameter “limits”."),
        ({"limit": [1, 2]}, "#/parameters/limit", "Give one value (a string, number or boolean), not a list"),
        (["limit"], "#/parameters", 'Give the parameters as an object of {"name": value}.'),
    ],
)
def test_a_bad_override_is_refused_naming_the_parameter(
    api: Any, job: SparkJob, overrides: Any, pointer: str, detail: str
) -> None:
    body = assert_problem(run_now(api, job, {"parameters": overrides}), 400)
    assert [error["pointer"] for error in body["errors"]] == [pointer]
    assert body["errors"][0]["detail"].startswith(detail)
    assert not SparkJobRun.objects.exists()


def test_a_read_only_token_cannot_run(api_for: Any, user: Any, job: SparkJob) -> None:
    assert_problem(run_now(api_for(user, AccessToken.Scope.READ), job, {"parameters": {"limit": 3}}), 403)
    assert not SparkJobRun.objects.exists()


def test_a_used_up_budget_refuses_run_now_without_asking_aws(api: Any, user: Any, job: SparkJob) -> None:
    Budget.objects.create(user=user, monthly_limit=Decimal(1))
    spend(user, "1")
    with mock.patch.object(SparkJobProvisioner, "run", autospec=True) as run:
        body = assert_problem(api.post(f"/api/v1/jobs/{job.pk}/run/", {}, format="json"), 409)
    run.assert_not_called()
    assert body["detail"] == refusal_for(user) and "is used up" in body["detail"]
    assert not SparkJobRun.objects.exists()


@pytest.fixture
def failed_run(user: Any, job: SparkJob) -> SparkJobRun:
    first = SparkJobRunFactory(spark_job=job, status=SparkJobRun.State.TERMINATED_WITH_ERRORS)
    return SparkJobRunFactory(
        spark_job=job,
        status=SparkJobRun.State.TERMINATED_WITH_ERRORS,
        attempt=2,
        retry_of=first,
        requested_by=user,
        parameters={"limit": 25},
        outcome={
            **FAILED_OUTCOME,
            "failure": {
                **FAILED_OUTCOME["failure"],
                "cell_source": "\n".join(f"line_{n} = {n}" for n in range(12)),
                "traceback": ["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
            },
        },
    )


def test_run_show_has_the_failure_and_signed_output_links(api: Any, failed_run: SparkJobRun) -> None:
    body = api.get(f"/api/v1/runs/{failed_run.pk}/").json()
    assert (body["attempt"], body["retry_of"], body["manual"]) == (2, failed_run.retry_of_id, True)
    assert (body["outcome"], body["parameters"]) == ("failed", {"limit": 25})
    failure = body["failure"]
    assert (failure["cell_index"], failure["exception"], failure["message"]) == (
        3,
        "ZeroDivisionError",
        "division by zero",
    )
    assert failure["cell_source_excerpt"] == failed_run.failure_excerpt
    assert (
        failure["cell_source_excerpt"].startswith("line_0 = 0\n")
        and "line_11" not in failure["cell_source_excerpt"]
    )
    assert failure["traceback"] == ["ZeroDivisionError: division by zero"]
    base = f"http://testserver/jobs/{failed_run.spark_job_id}/runs/{failed_run.pk}/"
    assert (body["web_url"], body["rendered_url"]) == (base, f"{base}rendered/")
    assert [(output["name"], output["label"]) for output in body["outputs"]] == [
        ("notebook.ipynb", "Executed notebook"),
        ("log.txt", "Log"),
        ("counts.csv", "Written by the notebook"),
    ]
    link = urlsplit(body["outputs"][2]["url"])
    assert link.path.endswith(f"/daily-report/runs/{failed_run.pk}/counts.csv")
    query = parse_qs(link.query)
    assert "X-Amz-Signature" in query or "Signature" in query
    assert query["response-content-disposition"] == ['attachment; filename="counts.csv"']


def test_run_lists_have_the_failure_but_sign_nothing(api: Any, failed_run: SparkJobRun) -> None:
    with mock.patch.object(SparkJobProvisioner, "output_url", autospec=True) as output_url:
        runs = api.get(f"/api/v1/jobs/{failed_run.spark_job_id}/runs/").json()["results"]
        latest = api.get("/api/v1/jobs/").json()["results"][0]["latest_run"]
    output_url.assert_not_called()
    shown = next(run for run in runs if run["id"] == failed_run.pk)
    assert shown["failure"]["exception"] == "ZeroDivisionError" and "outputs" not in shown
    assert (latest["id"], latest["requested_by"]) == (failed_run.pk, "alice@example.com")


def test_a_run_under_way_has_no_outputs_yet(api: Any, job: SparkJob) -> None:
    run = SparkJobRunFactory(spark_job=job)
    body = api.get(f"/api/v1/runs/{run.pk}/").json()
    assert (body["outputs"], body["rendered_url"], body["failure"], body["outcome"]) == ([], None, None, "")


def test_another_users_run_is_missing(api_for: Any, user2: Any, failed_run: SparkJobRun) -> None:
    response = api_for(user2).get(f"/api/v1/runs/{failed_run.pk}/")
    assert_problem(response, 404, f"There is no run with the id {failed_run.pk}.")
    assert "counts.csv" not in response.content.decode()
