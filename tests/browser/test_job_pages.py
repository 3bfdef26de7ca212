"""The Spark job pages in a real browser: the identifier check, the tabs, no CSP violation."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from atmo.clusters.models import Cluster
from atmo.jobs.models import SparkJob
from atmo.jobs.provisioners import SparkJobProvisioner
from tests.browser.helpers import url
from tests.clusters.factories import EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

INVALID = re.compile(r"\bis-invalid\b")

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e2266e5a0000000049454e44ae426082"
    )
).decode()
NOTEBOOK = {
    "nbformat": 4,
    "metadata": {"language_info": {"name": "python"}},
    "cells": [
        {"cell_type": "markdown", "source": "# Weekly counts\nCounts the *active* users."},
        {
            "cell_type": "code",
            "execution_count": 1,
            "source": "df = spark.table('events')\ndf.count()",
            "outputs": [{"output_type": "execute_result", "data": {"text/plain": "1234567"}}],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "source": "plot(df)",
            "outputs": [{"output_type": "display_data", "data": {"image/png": PNG}}],
        },
    ],
}


class FakeBody:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def read(self) -> bytes:
        return self.content

    def close(self) -> None:
        pass


@pytest.fixture
def s3() -> Iterator[None]:
    """S3 as the job pages see it, behind the provisioner's own methods."""

    def get(provisioner: SparkJobProvisioner, key: str) -> dict[str, Any]:
        content = json.dumps(NOTEBOOK).encode()
        return {"Body": FakeBody(content), "ContentLength": len(content)}

    def results(provisioner: SparkJobProvisioner, identifier: str, is_public: bool) -> dict[str, list[str]]:
        return {
            "data": [f"{identifier}/data/2026-11-28/counts.csv"],
            "logs": [f"{identifier}/logs/2026-11-28/run.log"],
        }

    with (
        mock.patch.object(SparkJobProvisioner, "get", autospec=True, side_effect=get),
        mock.patch.object(SparkJobProvisioner, "results", autospec=True, side_effect=results),
    ):
        yield


def log_in_as(page: Page, client: Any, live_server_url: str, user: Any) -> None:
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server_url}])


def test_the_new_job_form_says_as_you_type_when_an_identifier_is_taken(
    page: Page, live_server: Any, client: Any, csp_violations: list[str]
) -> None:
    owner = UserFactory()
    EMRReleaseFactory(version="7.1.0", changelog_url="")
    SparkJobFactory(created_by=owner, identifier="weekly-counts")
    log_in_as(page, client, live_server.url, owner)
    page.goto(url(live_server.url, "jobs-new"))

    identifier = page.get_by_label("Identifier")
    taken = page.get_by_text("This identifier is taken")
    identifier.press_sequentially("weekly-counts")
    expect(taken).to_be_visible()
    expect(identifier).to_have_class(INVALID)
    identifier.press_sequentially("-v2")
    expect(taken).to_be_hidden()
    expect(identifier).not_to_have_class(INVALID)
    assert csp_violations == []


def test_the_job_page_shows_runs_results_and_the_notebook_in_tabs(
    page: Page, live_server: Any, client: Any, s3: None, csp_violations: list[str]
) -> None:
    owner = UserFactory()
    EMRReleaseFactory(version="7.1.0", changelog_url="")
    job = SparkJobFactory(
        created_by=owner,
        identifier="weekly-counts",
        interval_in_hours=SparkJob.INTERVAL_WEEKLY,
        start_date=timezone.now() - timedelta(days=15),
    )
    now = timezone.now()
    for days, status in [(14, Cluster.STATUS_TERMINATED), (7, Cluster.STATUS_TERMINATED_WITH_ERRORS)]:
        run = SparkJobRunFactory(
            spark_job=job,
            jobflow_id=f"j-{days}DAYSAGO",
            status=status,
            scheduled_at=now - timedelta(days=days),
            started_at=now - timedelta(days=days),
            ready_at=now - timedelta(days=days, minutes=-8),
            finished_at=now - timedelta(days=days, minutes=-52),
        )
        if status == Cluster.STATUS_TERMINATED_WITH_ERRORS:
            run.alert("STEP_FAILURE", "Step RunNotebookStep failed: the notebook raised an exception.")
    log_in_as(page, client, live_server.url, owner)
    page.goto(url(live_server.url, "jobs-detail", job.pk))

    expect(page.get_by_test_id("runs-table")).to_contain_text("j-7DAYSAGO")
    expect(page.get_by_test_id("latest-failure")).to_contain_text("the notebook raised an exception")
    expect(page.get_by_test_id("next-run")).to_contain_text("Next run:")

    page.get_by_role("tab", name="Results").click()
    expect(page.get_by_role("link", name="data/2026-11-28/counts.csv")).to_be_visible()

    page.get_by_role("tab", name="Notebook").click()
    preview = page.get_by_test_id("notebook-preview")
    expect(preview.get_by_role("heading", name="Weekly counts")).to_be_visible()
    expect(preview).to_contain_text("1234567")
    expect(preview.get_by_role("img")).to_be_visible()
    expect(page.locator("#notebook-pane")).to_have_css("opacity", "1")  # faded in
    assert csp_violations == []


def test_the_dashboard_and_the_job_page_show_the_same_next_run(
    page: Page, live_server: Any, client: Any, s3: None
) -> None:
    """Issue 13: after an edit from weekly to daily, the dashboard kept the old next run."""
    owner = UserFactory()
    EMRReleaseFactory(version="7.1.0", changelog_url="")
    start = timezone.now() - timedelta(days=7, hours=-3)  # weekly, next at now + 3 h
    job = SparkJobFactory(
        created_by=owner,
        identifier="weekly-counts",
        interval_in_hours=SparkJob.INTERVAL_WEEKLY,
        start_date=start,
    )
    SparkJobRunFactory(spark_job=job, status=Cluster.STATUS_TERMINATED, slot=start, scheduled_at=start)
    job.interval_in_hours = SparkJob.INTERVAL_DAILY
    job.save()
    expected = job.schedule.next_slot()
    assert expected == start + timedelta(days=7)  # the daily grid's first slot after the edit

    log_in_as(page, client, live_server.url, owner)
    page.goto(url(live_server.url, "dashboard"))
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="weekly-counts"))
    on_dashboard = row.get_by_test_id("next-run-at")
    expect(on_dashboard).to_have_text("in 2 h")  # 3 h ahead, less the few seconds the test took
    assert on_dashboard.get_attribute("datetime") == expected.isoformat()

    page.goto(url(live_server.url, "jobs-detail", job.pk))
    on_job_page = page.get_by_test_id("next-run").get_by_test_id("next-run-at")
    expect(on_job_page).to_have_text("in 2 h")
    assert on_job_page.get_attribute("datetime") == expected.isoformat()
    page.goto(url(live_server.url, "dashboard"))
    assert row.get_by_test_id("next-run-at").get_attribute("datetime") == expected.isoformat()
