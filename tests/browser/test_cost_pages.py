"""Costs in a real browser: the estimate follows the size, and a user at 100 % of budget is refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from atmo.clusters.models import Cluster
from atmo.costs.models import Budget
from tests.browser.helpers import url
from tests.browser.test_job_pages import log_in_as
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.costs.helpers import seed_prices
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
