"""The run page in a real browser: the rendered notebook in its sandbox, the parameters, the failing cell."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from atmo.jobs.models import SparkJobRun
from atmo.jobs.provisioners import SparkJobProvisioner
from tests.browser.test_job_pages import FakeBody, log_in_as
from tests.clusters.factories import EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.test_run_outcome import FAILED_OUTCOME
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

#: A rendered notebook whose script tells which origin it runs in and whether it can reach the portal.
RENDERED = b"""<!doctype html><html><body>
<h1>Daily report</h1><p>Total: 42 for FR</p><p id="origin"></p><p id="parent"></p>
<script>
document.getElementById("origin").textContent = "origin: " + window.origin;
try { parent.document.title; document.getElementById("parent").textContent = "portal: reachable"; }
catch (error) { document.getElementById("parent").textContent = "portal: out of reach"; }
</script></body></html>"""


class StreamedBody(FakeBody):
    def iter_chunks(self, size: int) -> Iterator[bytes]:
        yield self.content


@pytest.fixture
def s3_outputs() -> Iterator[None]:
    """S3 and EMR as the run page sees them, behind the provisioner's own methods."""

    def get_output(provisioner: SparkJobProvisioner, bucket: str, key: str) -> dict[str, Any]:
        return {"Body": StreamedBody(RENDERED), "ContentLength": len(RENDERED)}

    def step_state(provisioner: SparkJobProvisioner, jobflow_id: str) -> str:
        return "COMPLETED" if jobflow_id == "j-GOOD" else "FAILED"

    with (
        mock.patch.object(SparkJobProvisioner, "get_output", autospec=True, side_effect=get_output),
        mock.patch.object(SparkJobProvisioner, "step_state", autospec=True, side_effect=step_state),
    ):
        yield


def ended_run(jobflow_id: str, **fields: Any) -> SparkJobRun:
    owner = UserFactory(username="alice@example.com")
    job = SparkJobFactory(created_by=owner, emr_release=EMRReleaseFactory(version="7.1.0", changelog_url=""))
    now = timezone.now()
    return SparkJobRunFactory(
        spark_job=job,
        jobflow_id=jobflow_id,
        requested_by=owner,
        started_at=now - timedelta(minutes=12),
        ready_at=now - timedelta(minutes=8),
        finished_at=now - timedelta(minutes=1),
        **fields,
    )


def test_a_finished_run_shows_its_rendered_notebook_sandboxed_and_its_parameters(
    page: Page, live_server: Any, client: Any, s3_outputs: None, csp_violations: list[str]
) -> None:
    run = ended_run(
        "j-GOOD",
        status=SparkJobRun.State.TERMINATED,
        parameters={"country": "FR", "limit": 25},
        outcome={**FAILED_OUTCOME, "status": "succeeded", "failure": None, "files": ["counts.csv"]},
    )
    log_in_as(page, client, live_server.url, run.spark_job.created_by)
    page.goto(f"{live_server.url}{run.get_absolute_url()}")

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Run {run.pk} of daily-report")
    expect(page.get_by_test_id("run-kind")).to_contain_text("manual by alice@example.com")
    expect(page.get_by_test_id("step-state")).to_have_text("COMPLETED")
    expect(page.get_by_test_id("run-parameters")).to_contain_text("country")
    expect(page.get_by_test_id("run-parameters")).to_contain_text('"FR"')
    expect(page.get_by_test_id("run-downloads").get_by_role("link", name="counts.csv")).to_be_visible()

    frame = page.frame_locator('[data-testid="rendered-notebook"]')
    expect(frame.get_by_role("heading", name="Daily report")).to_be_visible()
    expect(frame.get_by_text("Total: 42 for FR")).to_be_visible()
    # Its scripts run, in an origin of their own that cannot reach the portal's pages.
    expect(frame.locator("#origin")).to_have_text("origin: null")
    expect(frame.locator("#parent")).to_have_text("portal: out of reach")
    expect(page.get_by_test_id("run-failure")).to_have_count(0)
    assert csp_violations == []


def test_a_failed_run_shows_its_failing_cell_and_error(
    page: Page, live_server: Any, client: Any, s3_outputs: None, csp_violations: list[str]
) -> None:
    run = ended_run("j-BAD", status=SparkJobRun.State.TERMINATED_WITH_ERRORS, outcome=FAILED_OUTCOME)
    log_in_as(page, client, live_server.url, run.spark_job.created_by)
    page.goto(f"{live_server.url}{run.spark_job.get_absolute_url()}")
    page.get_by_test_id("run-link").click()

    failure = page.get_by_test_id("run-failure")
    expect(failure.get_by_role("heading")).to_have_text("Cell 3 failed: ZeroDivisionError")
    expect(page.get_by_test_id("failure-message")).to_have_text("division by zero")
    expect(page.get_by_test_id("failing-cell")).to_have_text("total = 1 / 0")
    expect(page.get_by_test_id("failure-traceback")).to_be_hidden()  # folded until asked for
    failure.get_by_text("Traceback", exact=True).click()
    expect(page.get_by_test_id("failure-traceback")).to_contain_text("ZeroDivisionError: division by zero")
    expect(page.get_by_test_id("step-state")).to_have_text("FAILED")
    assert csp_violations == []
