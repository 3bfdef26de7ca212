"""The run page, its sandboxed rendered notebook and its downloads, for those who may view the job only."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from atmo.jobs.models import SparkJob, SparkJobRun
from tests.aws import AWSStubs
from tests.jobs.conftest import PRIVATE_BUCKET, body
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.pages import url
from tests.jobs.test_run_outcome import FAILED_OUTCOME

pytestmark = pytest.mark.django_db

RENDERED = b"<html><body><h1>Daily report</h1><p>42</p></body></html>"


def run_url(run: SparkJobRun, action: str = "detail", **kwargs: Any) -> str:
    return reverse(f"jobs-run-{action}", kwargs={"id": run.spark_job_id, "run_id": run.pk, **kwargs})


def csp_directives(response: Any) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split("; ")}


def stub_step(aws: AWSStubs, state: str = "FAILED", jobflow_id: str = "j-RUN") -> None:
    steps = [
        {"Id": "s-1", "Name": "setup-zeppelin", "Status": {"State": "COMPLETED"}},
        {"Id": "s-2", "Name": "RunNotebookStep", "Status": {"State": state}},
    ]
    aws.emr.add_response("list_steps", {"Steps": steps}, {"ClusterId": jobflow_id})


@pytest.fixture
def failed_run(spark_job: SparkJob, owner: Any) -> SparkJobRun:
    return SparkJobRunFactory(
        spark_job=spark_job,
        status=SparkJobRun.State.TERMINATED_WITH_ERRORS,
        requested_by=owner,
        parameters={"country": "DE", "limit": 25},
        outcome=FAILED_OUTCOME,
    )


def test_the_owner_sees_a_failed_run_with_its_failing_cell(
    client_for: Any, owner: Any, failed_run: SparkJobRun, aws: AWSStubs
) -> None:
    stub_step(aws, "FAILED")
    response = client_for(owner).get(run_url(failed_run))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Run {failed_run.pk} of daily-report" in page
    assert "manual</span> by alice@example.com" in page
    assert '<span class="font-monospace">FAILED</span>' in page
    assert "j-RUN" in page
    assert 'Cell 3 failed: <code data-testid="failure-exception">ZeroDivisionError</code>' in page
    assert "division by zero" in page
    assert "total = 1 / 0" in page
    parameter = '<th scope="row" class="font-monospace fw-normal">limit</th>'
    assert f'{parameter}<td class="font-monospace text-break">25</td>' in page
    assert "&quot;DE&quot;" in page
    assert f'src="{run_url(failed_run, "rendered")}"' in page
    for name in ("notebook.ipynb", "log.txt", "counts.csv"):
        assert run_url(failed_run, "file", name=name) in page


def test_a_long_failing_cell_is_quoted_by_its_first_lines(
    client_for: Any, owner: Any, failed_run: SparkJobRun, aws: AWSStubs
) -> None:
    source = "\n".join(f"line_{n} = {n}" for n in range(1, 30))
    failed_run.outcome = {**FAILED_OUTCOME, "failure": {**FAILED_OUTCOME["failure"], "cell_source": source}}
    failed_run.save()
    stub_step(aws)
    page = client_for(owner).get(run_url(failed_run)).content.decode()
    assert "line_10 = 10\n…" in page
    assert "line_11 = 11" not in page


def test_a_run_under_way_promises_its_outputs_and_polls_without_asking_emr(
    client_for: Any, owner: Any, spark_job: SparkJob, aws: AWSStubs
) -> None:
    run = SparkJobRunFactory(spark_job=spark_job, status="RUNNING")
    stub_step(aws, "RUNNING")
    page = client_for(owner).get(run_url(run)).content.decode()
    assert 'data-testid="outputs-pending"' in page
    assert "rendered-notebook" not in page
    assert "scheduled" in page and "manual</span>" not in page
    head = client_for(owner).head(run_url(run))  # no list_steps stubbed: EMR is not asked
    assert head.status_code == 200
    assert head["X-ATMO-Modified-Date"] == run.modified_at.isoformat()


def test_emr_out_of_reach_leaves_the_step_state_unknown(
    client_for: Any, owner: Any, failed_run: SparkJobRun, aws: AWSStubs
) -> None:
    aws.emr.add_client_error("list_steps", "ThrottlingException", "Rate exceeded", 400)
    response = client_for(owner).get(run_url(failed_run))
    assert response.status_code == 200
    assert ">unknown</span>" in response.content.decode()


def test_the_rendered_notebook_is_served_sandboxed(
    client_for: Any, owner: Any, failed_run: SparkJobRun, aws: AWSStubs
) -> None:
    aws.s3.add_response(
        "get_object",
        {"Body": body(RENDERED), "ContentLength": len(RENDERED)},
        {"Bucket": PRIVATE_BUCKET, "Key": f"daily-report/runs/{failed_run.pk}/notebook.html"},
    )
    response = client_for(owner).get(run_url(failed_run, "rendered"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == RENDERED
    directives = csp_directives(response)
    # Sandboxed without allow-same-origin: an opaque origin, never the portal's.
    assert directives["sandbox"] == ["allow-scripts", "allow-popups"]
    assert directives["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_a_missing_rendered_notebook_is_a_clean_404_in_the_frame(
    client_for: Any, owner: Any, failed_run: SparkJobRun, aws: AWSStubs
) -> None:
    aws.s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)
    response = client_for(owner).get(run_url(failed_run, "rendered"))
    assert response.status_code == 404
    assert "This run left no rendered notebook." in response.content.decode()
    assert csp_directives(response)["sandbox"] == ["allow-scripts", "allow-popups"]


@pytest.mark.parametrize("name", ["notebook.ipynb", "log.txt", "counts.csv"])
def test_downloads_are_short_lived_signed_links(
    client_for: Any, owner: Any, failed_run: SparkJobRun, aws: AWSStubs, name: str
) -> None:
    response = client_for(owner).get(run_url(failed_run, "file", name=name))
    assert response.status_code == 302
    link = urlsplit(response["Location"])
    assert link.path.endswith(f"/daily-report/runs/{failed_run.pk}/{name}")
    query = parse_qs(link.query)
    assert "Signature" in query or "X-Amz-Signature" in query
    assert query["response-content-disposition"] == [f'attachment; filename="{name}"']
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("name", ["outcome.json", "other.csv", "../../other-job/runs/1/log.txt"])
def test_only_the_outputs_the_page_lists_have_a_link(
    client_for: Any, owner: Any, failed_run: SparkJobRun, aws: AWSStubs, name: str
) -> None:
    assert client_for(owner).get(run_url(failed_run, "file", name=name)).status_code == 404


RUN_ROUTES = [
    ("detail", {}),
    ("rendered", {}),
    ("file", {"name": "notebook.ipynb"}),
    ("file", {"name": "counts.csv"}),
]


@pytest.mark.parametrize(("action", "kwargs"), RUN_ROUTES)
def test_another_user_gets_403_on_every_run_route(
    client_for: Any,
    stranger: Any,
    failed_run: SparkJobRun,
    aws: AWSStubs,
    action: str,
    kwargs: dict[str, str],
) -> None:
    assert client_for(stranger).get(run_url(failed_run, action, **kwargs)).status_code == 403


@pytest.mark.parametrize(("action", "kwargs"), RUN_ROUTES)
def test_someone_logged_out_is_sent_to_log_in(
    client: Any, failed_run: SparkJobRun, aws: AWSStubs, action: str, kwargs: dict[str, str]
) -> None:
    response = client.get(run_url(failed_run, action, **kwargs))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_maintainer_may_look_at_a_run(
    client_for: Any, maintainer: Any, failed_run: SparkJobRun, aws: AWSStubs
) -> None:
    stub_step(aws)
    assert client_for(maintainer).get(run_url(failed_run)).status_code == 200
    assert client_for(maintainer).get(run_url(failed_run, "file", name="log.txt")).status_code == 302


@pytest.mark.parametrize(("action", "kwargs"), RUN_ROUTES)
def test_a_run_of_another_job_or_no_run_is_a_clean_404(
    client_for: Any,
    owner: Any,
    spark_job: SparkJob,
    failed_run: SparkJobRun,
    aws: AWSStubs,
    action: str,
    kwargs: dict[str, str],
) -> None:
    other_job = SparkJobFactory(created_by=owner, identifier="other-job", emr_release=spark_job.emr_release)
    wrong_job = reverse(f"jobs-run-{action}", kwargs={"id": other_job.pk, "run_id": failed_run.pk, **kwargs})
    no_run = reverse(
        f"jobs-run-{action}", kwargs={"id": spark_job.pk, "run_id": failed_run.pk + 999, **kwargs}
    )
    no_job = reverse(
        f"jobs-run-{action}", kwargs={"id": spark_job.pk + 999, "run_id": failed_run.pk, **kwargs}
    )
    for path in (wrong_job, no_run, no_job):
        assert client_for(owner).get(path).status_code == 404
    assert client_for(owner).get(f"/jobs/{spark_job.pk}/runs/abc/").status_code == 404


def test_the_run_history_links_each_run_and_marks_manual_ones(
    client_for: Any, owner: Any, spark_job: SparkJob, failed_run: SparkJobRun, aws: AWSStubs
) -> None:
    scheduled = SparkJobRunFactory(spark_job=spark_job, status="TERMINATED")
    aws.s3.add_response("list_objects_v2", {"Contents": [], "IsTruncated": False}, None)
    aws.s3.add_response(
        "get_object",
        {"Body": body(b"{}"), "ContentLength": 2},
        {"Bucket": "atmo-code", "Key": spark_job.notebook_s3_key},
    )
    page = client_for(owner).get(url("detail", spark_job)).content.decode()
    assert (
        f'href="{run_url(failed_run)}" data-testid="run-link">#{failed_run.pk}</a> <span class="badge' in page
    )
    assert f'href="{run_url(scheduled)}" data-testid="run-link">#{scheduled.pk}</a></td>' in page
    assert page.count('data-testid="run-manual"') == 1
    assert "Cell 3 raised <code>ZeroDivisionError</code>: division by zero" in page


def test_a_failure_outside_any_cell_names_the_notebook(
    client_for: Any, owner: Any, failed_run: SparkJobRun, aws: AWSStubs
) -> None:
    failure = {**FAILED_OUTCOME["failure"], "cell_index": None, "cell_source": ""}
    failed_run.outcome = {**FAILED_OUTCOME, "failure": failure}
    failed_run.save()
    stub_step(aws)
    page = client_for(owner).get(run_url(failed_run)).content.decode()
    assert 'The notebook failed: <code data-testid="failure-exception">ZeroDivisionError</code>' in page
