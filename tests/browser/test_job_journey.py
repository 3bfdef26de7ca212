"""An analyst's whole scheduled Spark job journey, on the local stack.

Nothing is faked behind the pages: the notebook is uploaded to the emulator's code
bucket, "Run now" asks the local EMR for a job cluster, which runs its steps and
terminates by itself; the notebook step leaves the results in the public data bucket,
and the runs' states reach the database through the job status sync that the beat
stand-in runs (see `tests.browser.local_stack`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from atmo.clusters.models import EMRRelease
from atmo.clusters.tasks import update_clusters
from atmo.jobs.models import SparkJob, SparkJobRun
from atmo.jobs.tasks import send_run_alert_mails, update_jobs_statuses
from tests.browser.helpers import assert_same_document, docs_screenshot, log_in, mark_document, url
from tests.browser.local_stack import BeatTask, LocalStack
from tests.clusters.factories import EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "analyst@example.com"
RELEASE = "7.2.0"
IDENTIFIER = "weekly-active-users"
#: Someone else's job already has this identifier.
TAKEN_IDENTIFIER = "weekly-counts"
DESCRIPTION = "Counts the weekly active users for the product dashboard."
NEW_DESCRIPTION = "Counts the weekly active users, per country, for the product dashboard."
NOTEBOOK_NAME = "weekly-active-users.ipynb"
#: The emulator really runs the notebooks: this one divides by zero.
FAILING_NOTEBOOK_NAME = "failing-report.ipynb"
NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"language_info": {"name": "python"}},
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Weekly active users\n", "One row per week."]},
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": [
                "df = spark.range(100).withColumnRenamed('id', 'client_id')\n",
                "df.select('client_id').distinct().count()",
            ],
        },
    ],
}
#: How a page shows a moment (always in UTC).
MOMENT_FORMAT = "%Y-%m-%d %H:%M"
#: A recent moment as the run history says it (the absolute time is on hover).
MOMENT = re.compile(r"^(just now|\d+ min ago)$")
DURATION = re.compile(r"^(\d+ min )?\d+ s$")  # the notebook really runs: up to a minute or two
#: The emulator's result folders are named after the moment the step finished.
#: A run's cluster starts, runs two steps and terminates in about 4 s in the emulator,
#: plus the sync and polling delays.
RUN_TIMEOUT_MS = 120_000  # the emulator runs the notebook, with Spark, for real
#: The start date is this far ahead, so the schedule never fires during the test.
START_DELAY = timedelta(hours=3)


@pytest.fixture
def beat_tasks() -> Sequence[BeatTask]:
    """The beat stand-in runs the job status sync and the run alert mails too."""
    return [update_clusters, update_jobs_statuses, send_run_alert_mails]


@pytest.fixture
def emr_release(transactional_db: None) -> EMRRelease:
    return EMRReleaseFactory(version=RELEASE, changelog_url="")


@pytest.fixture
def someone_elses_job(emr_release: EMRRelease) -> SparkJob:
    return SparkJobFactory(
        created_by=UserFactory(),
        identifier=TAKEN_IDENTIFIER,
        emr_release=emr_release,
        start_date=timezone.now() + START_DELAY,
    )


def write_notebook(folder: Path, name: str, notebook: dict[str, Any] = NOTEBOOK) -> tuple[Path, bytes]:
    content = (json.dumps(notebook, indent=1) + "\n").encode()
    path = folder / name
    path.write_bytes(content)
    return path, content


def future_start() -> str:
    """A start date some hours ahead, as the form takes it (UTC, to the minute)."""
    return f"{timezone.now() + START_DELAY:{MOMENT_FORMAT}}"


def fact(page: Page, name: str) -> Locator:
    """The value next to ``name`` in the job page's facts."""
    return page.get_by_label("Job facts").locator(
        f"xpath=.//dt[normalize-space()='{name}']/following-sibling::dd[1]"
    )


def runs_table(page: Page) -> Locator:
    return page.get_by_test_id("runs-table")


def run_row(page: Page, jobflow_id: str) -> Locator:
    return runs_table(page).get_by_role("row").filter(has_text=jobflow_id)


def header_button(page: Page, name: str) -> Locator:
    return page.locator("#live-job-header").get_by_role("link", name=name, exact=True)


def job_id_from(page_url: str) -> int:
    match = re.search(r"/jobs/(\d+)/$", page_url)
    assert match is not None, page_url
    return int(match.group(1))


def run_now(page: Page, local_stack: LocalStack, identifier: str) -> str:
    """Runs the job from its page, after the confirmation; returns the run's jobflow id.

    The status sync waits until the page shows the run starting; the emulated EMR moves
    on meanwhile, and the page must then follow it without a reload.
    """
    detail_url = page.url
    header_button(page, "Run now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Run {identifier} now?")
    with local_stack.beat.paused():
        page.get_by_role("button", name="Run now").click()
        expect(page).to_have_url(detail_url)
        started = page.get_by_role("alert").filter(has_text="started")
        expect(started).to_contain_text(re.compile(rf"Run of {identifier} started \(j-[A-Z0-9]+\)\."))
        jobflow_id = re.search(r"j-[A-Z0-9]+", started.inner_text())
        assert jobflow_id is not None
        row = run_row(page, jobflow_id.group(0))
        expect(row).to_have_count(1)
        expect(row.get_by_test_id("run-status")).to_have_text("Starting")
        # One run at a time: "Run now" waits for this one to end.
        expect(header_button(page, "Run now")).to_have_attribute("aria-disabled", "true")
        expect(page.get_by_text("A run is under way; this page updates by itself.")).to_be_visible()
        mark_document(page)
    return jobflow_id.group(0)


def fill_new_job_form(page: Page, identifier: str, notebook: Path) -> None:
    page.get_by_label("Identifier").fill(identifier)
    page.get_by_label("Description").fill(DESCRIPTION)
    page.get_by_label("Notebook").set_input_files(notebook)


def test_an_analyst_schedules_runs_edits_and_deletes_a_spark_job(
    page: Page,
    live_server: Any,
    oidc_settings: Any,
    someone_elses_job: SparkJob,
    local_stack: LocalStack,
    tmp_path: Path,
) -> None:
    notebook_path, notebook_content = write_notebook(tmp_path, NOTEBOOK_NAME)
    code_bucket = django_settings.AWS_CONFIG["CODE_BUCKET"]
    notebook_key = f"jobs/{IDENTIFIER}/{NOTEBOOK_NAME}"
    s3 = local_stack.s3()
    log_in(page, live_server.url, EMAIL)

    # 1. The new-job form, from the dashboard; the identifier is checked as it is typed.
    page.get_by_role("link", name="Schedule a job").first.click()
    expect(page).to_have_url(url(live_server.url, "jobs-new"))
    identifier = page.get_by_label("Identifier")
    taken = page.get_by_text("This identifier is taken")
    expect(taken).to_be_hidden()
    identifier.press_sequentially(TAKEN_IDENTIFIER)
    expect(taken).to_be_visible()
    expect(identifier).to_have_attribute("aria-invalid", "true")
    availability_url = url(live_server.url, "jobs-identifier-available")
    with page.expect_response(
        lambda response: response.url == f"{availability_url}?identifier={IDENTIFIER}"
    ) as availability:
        identifier.fill("")
        identifier.press_sequentially(IDENTIFIER)
    assert availability.value.text() == "identifier available"
    expect(taken).to_be_hidden()
    expect(identifier).to_have_attribute("aria-invalid", "false")

    page.get_by_label("Description").fill(DESCRIPTION)
    page.get_by_label("Notebook").set_input_files(notebook_path)
    page.get_by_role("radio", name="Public").check()
    page.get_by_label("Cluster size").fill("1")
    page.get_by_role("radio", name="Daily").check()
    page.get_by_label("Timeout in hours").fill("2")
    start = future_start()
    page.get_by_label("Start date (UTC)").fill(start)
    expect(page.get_by_label("End date (UTC)")).to_have_value("")
    expect(page.get_by_role("radio", name=RELEASE)).to_be_checked()
    docs_screenshot(page, "job-new")
    page.get_by_role("button", name="Schedule the job").click()

    # The job's page: its schedule, nothing run yet, the notebook rendered.
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/jobs/\d+/$"))
    job_id = job_id_from(page.url)
    detail_url = page.url
    expect(page.get_by_role("alert").filter(has_text="scheduled")).to_contain_text(
        f"Spark job {IDENTIFIER} scheduled. Its first run starts at {start} UTC."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(IDENTIFIER)
    expect(page.get_by_test_id("schedule")).to_have_text(f"Runs daily, starting {start} UTC.")
    expect_next_run(page, start)
    expect(page.get_by_test_id("run-status")).to_have_text("Never run")
    expect(page.get_by_text("This job has not run yet.")).to_be_visible()
    expect(runs_table(page)).to_have_count(0)
    expect(fact(page, "Results")).to_have_text("Public")
    expect(fact(page, "Cluster size")).to_have_text("1 node")
    expect(fact(page, "Timeout")).to_have_text("2 hours")
    expect(fact(page, "EMR release")).to_contain_text(RELEASE)
    expect(fact(page, "Notebook")).to_have_text(NOTEBOOK_NAME)
    expect(page.get_by_label("Job facts")).to_contain_text(DESCRIPTION)
    page.get_by_role("tab", name="Results").click()
    expect(page.get_by_test_id("no-results")).to_be_visible()
    page.get_by_role("tab", name="Notebook").click()
    preview = page.get_by_test_id("notebook-preview")
    expect(preview.get_by_role("heading", name="Weekly active users")).to_be_visible()
    expect(preview).to_contain_text("df.select('client_id').distinct().count()")
    page.get_by_role("tab", name="Runs").click()

    # The notebook is in the code bucket; the job's first slot is its start date.
    assert s3.get_object(Bucket=code_bucket, Key=notebook_key)["Body"].read() == notebook_content
    start_date = datetime.strptime(start, MOMENT_FORMAT).replace(tzinfo=UTC)
    with local_stack.database():
        job = SparkJob.objects.get(pk=job_id)
        assert job.start_date == start_date
        assert job.schedule.next_slot() == start_date

    # 2. Run now: the page follows the run to its end by itself.
    jobflow_id = run_now(page, local_stack, IDENTIFIER)
    row = run_row(page, jobflow_id)
    expect(row.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT_MS)
    cells = row.get_by_role("cell")
    expect(cells.nth(0)).to_have_text(re.compile(r"^#\d+ manual$"))  # started with Run now
    for column in (2, 3, 4, 5):  # scheduled, started, ready, finished
        expect(cells.nth(column)).to_have_text(MOMENT)
        assert cells.nth(column).locator("time").get_attribute("datetime")
    expect(cells.nth(6)).to_have_text(DURATION)
    expect(cells.nth(7)).to_have_text(jobflow_id)
    expect(cells.nth(8)).to_have_text("1")
    expect(page.locator("h1").get_by_test_id("run-status")).to_have_text("Finished")
    expect(header_button(page, "Run now")).not_to_have_attribute("aria-disabled", "true")
    expect(page.get_by_text("A run is under way")).to_have_count(0)
    expect(page.get_by_test_id("latest-failure")).to_have_count(0)
    # A manual run before the start date leaves the schedule alone.
    expect_next_run(page, start)
    assert_same_document(page)
    status = local_stack.emr().describe_cluster(ClusterId=jobflow_id)["Cluster"]["Status"]
    assert (status["State"], status["StateChangeReason"].get("Code")) == ("TERMINATED", "ALL_STEPS_COMPLETED")
    docs_screenshot(page, "job-detail")

    # 3. The results, swapped in with the rest: the output notebook and the run's log.
    page.get_by_role("tab", name="Results").click()
    results = page.locator("#results-pane")
    expect(results).to_contain_text("These results are public")
    with local_stack.database():
        run = SparkJobRun.objects.get(jobflow_id=jobflow_id)
    run_folder = f"runs/{run.pk}/"
    data_links = page.get_by_test_id("results-data").get_by_role("link")
    expect(data_links).to_have_text(
        [f"{run_folder}{name}" for name in ("notebook.html", "notebook.ipynb", "outcome.json")]
    )
    notebook_link = data_links.filter(has_text="notebook.ipynb")
    log_links = page.get_by_test_id("results-logs").get_by_role("link")
    expect(log_links).to_have_text([f"{run_folder}log.txt"])
    assert_same_document(page)
    expect(results).to_have_css("opacity", "1")  # faded in
    docs_screenshot(page, "job-results")

    href = notebook_link.get_attribute("href")
    assert href is not None
    public_bucket = django_settings.AWS_CONFIG["PUBLIC_DATA_BUCKET"]
    assert href == f"{local_stack.aws.endpoint_url}/{public_bucket}/{IDENTIFIER}/{run_folder}notebook.ipynb"
    # Following the links, as the analyst does: the output notebook downloads (S3 serves
    # it as binary), the log opens in the browser; both come straight from the bucket.
    with page.expect_download() as result_download:
        notebook_link.click()
    executed = json.loads(Path(result_download.value.path()).read_bytes())
    count_cell = executed["cells"][-1]
    assert count_cell["source"] == NOTEBOOK["cells"][1]["source"]
    assert count_cell["outputs"][0]["data"]["text/plain"] == ["100"]  # Spark counted, for real
    log_links.click()
    expect(page).to_have_url(re.compile(re.escape(f"{local_stack.aws.endpoint_url}/{public_bucket}/")))
    expect(page.locator("body")).to_contain_text("run succeeded")
    page.go_back()
    expect(page).to_have_url(detail_url)

    # 4. The notebook as uploaded, through the Download link.
    page.get_by_role("tab", name="Notebook").click()
    with page.expect_download() as download_info:
        page.get_by_role("tabpanel", name="Notebook").get_by_role("link", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == NOTEBOOK_NAME
    assert Path(download.path()).read_bytes() == notebook_content

    # 5. An edit changes the job, not its schedule: no extra run, the same next slot.
    header_button(page, "Edit").click()
    expect(page).to_have_url(url(live_server.url, "jobs-edit", job_id))
    expect(page.get_by_label("Identifier")).to_be_disabled()
    expect(page.get_by_label("Identifier")).to_have_value(IDENTIFIER)
    expect(page.get_by_label("Start date (UTC)")).to_have_value(start)
    expect(page.get_by_label("Description")).to_have_value(DESCRIPTION)
    page.get_by_label("Description").fill(NEW_DESCRIPTION)
    page.get_by_label("Cluster size").fill("3")
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_url(detail_url)
    expect(page.get_by_role("alert").filter(has_text="saved")).to_contain_text(
        f"Spark job {IDENTIFIER} saved."
    )
    expect(fact(page, "Cluster size")).to_have_text("3 nodes")
    expect(page.get_by_label("Job facts")).to_contain_text(NEW_DESCRIPTION)
    expect(page.get_by_test_id("schedule")).to_have_text(f"Runs daily, starting {start} UTC.")
    expect_next_run(page, start)
    expect(runs_table(page).locator("tbody tr")).to_have_count(1)
    with local_stack.database():
        assert job.runs.count() == 1
        assert SparkJob.objects.get(pk=job_id).schedule.next_slot() == start_date
    assert len(local_stack.emr().list_clusters()["Clusters"]) == 1

    # 6. Deleted, after a confirmation: the notebook and the schedule go with it.
    header_button(page, "Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete the Spark job {IDENTIFIER}?")
    page.get_by_role("button", name="Delete the job").click()
    expect(page).to_have_url(url(live_server.url, "dashboard"))
    expect(page.get_by_role("alert").filter(has_text="deleted")).to_contain_text(
        f"Spark job {IDENTIFIER} deleted."
    )
    expect(page.get_by_role("link", name=IDENTIFIER, exact=True)).to_have_count(0)
    expect(page.get_by_test_id("jobs-empty")).to_contain_text("No scheduled jobs yet.")

    with local_stack.database():
        assert not SparkJob.objects.filter(pk=job_id).exists()
    assert s3.list_objects_v2(Bucket=code_bucket, Prefix=f"jobs/{IDENTIFIER}/")["KeyCount"] == 0
    # The results (the run's four outputs) stay where they are.
    assert s3.list_objects_v2(Bucket=public_bucket, Prefix=f"{IDENTIFIER}/")["KeyCount"] == 4
    assert local_stack.beat.errors == []


def test_a_failing_run_shows_why_and_mails_the_owner_once(
    page: Page,
    live_server: Any,
    oidc_settings: Any,
    emr_release: EMRRelease,
    local_stack: LocalStack,
    tmp_path: Path,
    mailoutbox: list[mail.EmailMessage],
) -> None:
    identifier = "failing-report"
    failing = {**NOTEBOOK, "cells": [*NOTEBOOK["cells"], {**NOTEBOOK["cells"][1], "source": ["1 / 0"]}]}
    notebook_path, _ = write_notebook(tmp_path, FAILING_NOTEBOOK_NAME, failing)
    log_in(page, live_server.url, EMAIL)

    # The form's defaults (a weekly, private job starting in a few minutes) will do.
    page.goto(url(live_server.url, "jobs-new"))
    fill_new_job_form(page, identifier, notebook_path)
    page.get_by_role("button", name="Schedule the job").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/jobs/\d+/$"))
    expect(page.get_by_test_id("run-status")).to_have_text("Never run")

    jobflow_id = run_now(page, local_stack, identifier)
    row = run_row(page, jobflow_id)
    expect(row.get_by_test_id("run-status")).to_have_text("Failed", timeout=RUN_TIMEOUT_MS)
    reason = "Shut down as step failed"
    alert = runs_table(page).get_by_test_id("run-alert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text(reason)
    expect(alert).to_contain_text("STEP_FAILURE")
    failure = page.get_by_test_id("latest-failure")
    expect(failure).to_contain_text("The latest run failed at")
    expect(failure).to_contain_text(reason)
    expect(failure).to_contain_text("STEP_FAILURE")
    expect(header_button(page, "Run now")).not_to_have_attribute("aria-disabled", "true")
    assert_same_document(page)
    status = local_stack.emr().describe_cluster(ClusterId=jobflow_id)["Cluster"]["Status"]
    assert (status["State"], status["StateChangeReason"].get("Code")) == (
        "TERMINATED_WITH_ERRORS",
        "STEP_FAILURE",
    )

    # The beat's alert mail went out in the tick that recorded the failure; later ticks add none.
    local_stack.beat.wait_for_ticks(3)
    assert len(mailoutbox) == 1, [message.subject for message in mailoutbox]
    message = mailoutbox[0]
    assert message.to == [EMAIL]
    assert message.subject == f"[ATMO] Running Spark job {identifier} failed"
    # The notebook really ran: the mail quotes its failing cell and links to the run's page.
    assert "raised ZeroDivisionError: division by zero" in message.body
    assert "1 / 0" in message.body
    assert re.search(r"/jobs/\d+/runs/\d+/\n", message.body)
    assert local_stack.beat.errors == []


#: A notebook with a parameter (in the cell tagged "parameters", as papermill expects) that Spark uses.
PARAMETER_NOTEBOOK = {
    **NOTEBOOK,
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {"tags": ["parameters"]},
            "outputs": [],
            "source": ["factor = 1"],
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": [
                "total = spark.range(1, 11).groupBy().sum('id').collect()[0][0] * factor\n",
                "print(f'total={total} with factor={factor}')",
            ],
        },
    ],
}


def test_a_parameter_overridden_for_one_run_reaches_the_notebook(
    page: Page,
    live_server: Any,
    oidc_settings: Any,
    emr_release: EMRRelease,
    local_stack: LocalStack,
    tmp_path: Path,
) -> None:
    identifier = "scaled-sum"
    notebook_path, _ = write_notebook(tmp_path, "scaled-sum.ipynb", PARAMETER_NOTEBOOK)
    log_in(page, live_server.url, EMAIL)

    page.goto(url(live_server.url, "jobs-new"))
    fill_new_job_form(page, identifier, notebook_path)
    page.get_by_label("Name of parameter 1").fill("factor")
    page.get_by_label("Type of parameter 1").select_option("integer")
    page.get_by_label("Default of parameter 1").fill("1")
    page.get_by_role("button", name="Schedule the job").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/jobs/\d+/$"))

    # Run now asks for the parameters: this run gets 3 instead of the default.
    detail_url = page.url
    header_button(page, "Run now").click()
    expect(page.get_by_label("factor")).to_have_value("1")
    page.get_by_label("factor").fill("3")
    page.get_by_role("button", name="Run now").click()
    expect(page).to_have_url(detail_url)
    started = page.get_by_role("alert").filter(has_text="started")
    expect(started).to_contain_text(re.compile(r"\(j-[A-Z0-9]+\)"))
    jobflow_id = re.search(r"j-[A-Z0-9]+", started.inner_text())
    assert jobflow_id is not None
    mark_document(page)

    # The page follows the run to its end without a reload.
    row = run_row(page, jobflow_id.group(0))
    expect(row.get_by_test_id("run-status")).to_have_text("Finished", timeout=RUN_TIMEOUT_MS)
    expect(row.get_by_test_id("run-manual")).to_be_visible()
    assert_same_document(page)

    # The run's page: the override, and the notebook as it ran, with Spark's result of it.
    row.get_by_test_id("run-link").click()
    expect(page.get_by_test_id("run-parameters")).to_contain_text("factor")
    expect(page.get_by_test_id("run-parameters")).to_contain_text("3")
    rendered = page.frame_locator('[data-testid="rendered-notebook"]')
    expect(rendered.get_by_text("total=165 with factor=3")).to_be_visible(timeout=30_000)


def expect_next_run(page: Page, start: str) -> None:
    """The job page's next run: said relatively, the moment ("YYYY-MM-DD HH:MM", UTC) on hover."""
    moment = page.get_by_test_id("next-run").get_by_test_id("next-run-at")
    expect(moment).to_have_text(re.compile(r"^in \d+ (min|h|days?)$"))
    assert (moment.get_attribute("datetime") or "").replace("T", " ").startswith(start)
