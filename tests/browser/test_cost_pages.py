"""Costs in a real browser: the estimate follows the size, a user at 100 % of budget is refused, the job
page's chart of its last runs, and the dashboard's spend against the budget."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from atmo.clusters.models import Cluster
from atmo.costs.models import Budget
from atmo.jobs.models import SparkJobRun
from tests.browser.helpers import url
from tests.browser.test_job_pages import log_in_as
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.costs.helpers import ended_run, seed_prices
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.keys.factories import SSHKeyFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_estimate_changes_as_the_size_and_lifetime_change(
    page: Page,
    live_server: Any,
    client: Any,
    live_setting: Any,
    csp_violations: list[str],  # noqa: F811
) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=True)
    seed_prices()
    owner = UserFactory(username="alice@example.com")
    SSHKeyFactory(created_by=owner)
    EMRReleaseFactory()
    log_in_as(page, client, live_server.url, owner)
    page.goto(url(live_server.url, "clusters-new"))

    estimate = page.get_by_test_id("cost-estimate")
    expect(estimate).to_have_text("$8.40")  # one on-demand c3.4xlarge for 8 hours, with EMR
    page.get_by_label("Size").fill("4")
    # 8 h × (master 1.05 + 4 spot core nodes × 0.48)
    expect(estimate).to_have_text("$23.76")
    page.get_by_label("Lifetime in hours").fill("2")
    expect(estimate).to_have_text("$5.94")
    page.get_by_label("Size").fill("")
    expect(estimate).to_have_text("—")
    assert csp_violations == []


def test_a_user_at_100_percent_of_budget_sees_the_refusal(page: Page, live_server: Any, client: Any) -> None:
    owner = UserFactory(username="alice@example.com")
    SSHKeyFactory(created_by=owner)
    EMRReleaseFactory()
    Budget.objects.create(user=owner, monthly_limit=Decimal(10))
    ClusterFactory(created_by=owner, terminated=True, cost=Decimal(12))
    log_in_as(page, client, live_server.url, owner)
    page.goto(url(live_server.url, "clusters-new"))

    expect(page.get_by_test_id("budget-refusal")).to_contain_text("Your monthly budget of $10.00 is used up")
    page.get_by_role("button", name="Launch").click()
    expect(page).to_have_url(url(live_server.url, "clusters-new"))
    expect(page.get_by_text("$12.00 spent in").first).to_be_visible()
    assert not Cluster.objects.filter(most_recent_status=Cluster.REQUESTED).exists()


def test_the_job_page_chart_has_a_bar_per_ended_run_and_a_table(
    page: Page,
    live_server: Any,
    client: Any,
    csp_violations: list[str],  # noqa: F811
) -> None:
    owner = UserFactory(username="alice@example.com")
    job = SparkJobFactory(created_by=owner, identifier="weekly-counts", job_timeout=3)
    for minutes in (4, 3, 2, 4, 1, 3):
        ended_run(job, minutes, "1.20")
    ended_run(job, 25, "2.40", status=SparkJobRun.State.TERMINATED_WITH_ERRORS)
    ended_run(job, 180, "9.00", timed_out_at=timezone.now())
    SparkJobRunFactory(spark_job=job)  # under way: no bar until it ends
    log_in_as(page, client, live_server.url, owner)
    page.goto(f"{live_server.url}{job.urls.detail}")

    chart = page.get_by_role("img", name="Duration and cost of the last 8 runs of weekly-counts")
    expect(chart).to_be_visible()
    expect(chart.locator("rect[data-testid=duration-bar]")).to_have_count(8)
    expect(chart.locator("rect[data-testid=cost-bar]")).to_have_count(8)
    expect(chart.locator("rect[data-testid=duration-bar][data-outcome=failed]")).to_have_count(1)
    expect(chart.locator("rect[data-testid=duration-bar][data-outcome=timed_out]")).to_have_count(1)
    # Bars are drawn: the timed-out run, the longest, fills its panel.
    box = chart.locator("rect[data-testid=duration-bar][data-outcome=timed_out]").bounding_box()
    assert box is not None and box["height"] > 10

    table = page.get_by_test_id("trend-table")
    expect(table).to_be_hidden()
    page.get_by_text("The same as a table").click()
    expect(table.locator("tbody tr")).to_have_count(8)
    expect(table.locator("tbody tr").last).to_contain_text("timed out")
    assert csp_violations == []


def test_the_dashboard_shows_this_months_spend_against_the_budget(
    page: Page,
    live_server: Any,
    client: Any,
    csp_violations: list[str],  # noqa: F811
) -> None:
    owner = UserFactory(username="alice@example.com")
    Budget.objects.create(user=owner, monthly_limit=Decimal(50))
    ClusterFactory(created_by=owner, terminated=True, cost=Decimal(42))
    log_in_as(page, client, live_server.url, owner)
    page.goto(url(live_server.url, "dashboard"))

    spend = page.get_by_test_id("month-spend")
    expect(spend).to_contain_text("$42.00")
    bar = spend.get_by_role("progressbar", name="Your monthly budget, used")
    expect(bar).to_have_attribute("aria-valuenow", "84.0")
    expect(bar).to_have_attribute("aria-valuetext", "$42.00 of $50.00")
    expect(spend.get_by_test_id("budget")).to_have_attribute("data-level", "warning")
    expect(spend.get_by_test_id("budget-numbers")).to_have_text("$42.00 of $50.00 (84 %)")
    expect(spend).to_contain_text("Over 80 % used.")
    filled = bar.locator("rect").nth(1).bounding_box()
    whole = bar.locator("rect").nth(0).bounding_box()
    assert filled is not None and whole is not None
    assert abs(filled["width"] / whole["width"] - 0.84) < 0.02
    assert csp_violations == []
