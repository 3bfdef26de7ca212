"""Trends users see: the job page's chart of its last runs, and the dashboard's spend against budgets."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from atmo.costs.models import Budget
from atmo.costs.trends import TREND_RUNS, Outcome, Trend, ended_runs
from atmo.jobs.models import SparkJobRun
from tests.clusters.factories import ClusterFactory
from tests.costs.helpers import ended_run
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory

pytestmark = pytest.mark.django_db


def bars(body: str, kind: str) -> list[str]:
    """The outcome of each bar of the chart's ``kind`` panel (duration or cost), left to right."""
    return re.findall(rf'<rect data-testid="{kind}-bar" data-outcome="(\w+)"', body)


def test_the_chart_shows_the_last_runs_oldest_first_coloured_by_outcome(client_for: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    ended_run(job, 10, "1.00")
    ended_run(job, 20, "1.00", status=SparkJobRun.State.TERMINATED_WITH_ERRORS)
    ended_run(job, 40, "1.00", timed_out_at=timezone.now())
    ended_run(job, 5)
    SparkJobRunFactory(spark_job=job)  # still running: no bar yet

    body = client_for(user).get(job.urls.detail).content.decode()
    assert bars(body, "duration") == ["succeeded", "failed", "timed_out", "succeeded"]
    assert bars(body, "cost") == ["succeeded", "failed", "timed_out"]  # the last one has no cost yet
    assert '<svg class="w-100 h-auto" viewBox="0 0 320' in body
    assert 'role="img" aria-labelledby="trend-title trend-desc"' in body
    assert "Duration and cost of the last 4 runs of daily-report</title>" in body
    assert "(longest 40 min)" in body
    # The same numbers as a table, for reading without the chart.
    table = body[body.index('data-testid="trend-table"') :]
    assert "timed out" in table and "40 min" in table and "$1.00" in table and "—" in table


def test_the_chart_takes_the_last_twenty_runs(user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    runs = [ended_run(job, n + 1) for n in range(TREND_RUNS + 3)]
    trend = Trend.of(ended_runs(job))
    assert [bar.run for bar in trend.bars] == runs[3:]


def test_bar_heights_follow_the_values_and_small_ones_stay_visible(user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    ended_run(job, 60, cost="4.00")
    ended_run(job, 30, cost="1.00")
    ended_run(job, 0.1, cost="0.001")
    heights = [(bar.duration_height, bar.cost_height) for bar in Trend.of(ended_runs(job)).bars]
    assert heights == [(64.0, 64.0), (32.0, 16.0), (1.0, 1.0)]
    assert [bar.outcome for bar in Trend.of(ended_runs(job)).bars] == [Outcome.SUCCEEDED] * 3


def test_a_job_without_ended_runs_says_so(client_for: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    body = client_for(user).get(job.urls.detail).content.decode()
    assert "No run has ended yet" in body
    assert 'data-testid="trend-chart"' not in body


def test_the_job_page_of_someone_else_is_still_refused(client_for: Any, user: Any, user2: Any) -> None:
    job = SparkJobFactory(created_by=user2)
    ended_run(job, 10)
    response = client_for(user).get(job.urls.detail)
    assert response.status_code == 403
    assert b"trend-chart" not in response.content


# --- The dashboard ---------------------------------------------------------------------------


def budget_part(client: Any) -> str:
    body = client.get("/").content.decode()
    start = body.index('data-testid="month-spend"')
    return body[start : body.index("</section>", start)]


def test_the_dashboard_says_when_no_budget_is_set(client_for: Any, user: Any) -> None:
    ClusterFactory(created_by=user, cost=Decimal("3.5"))
    part = budget_part(client_for(user))
    assert "$3.50" in part
    assert "No budget set" in part


@pytest.mark.parametrize(
    ("spent", "level", "numbers", "bar"),
    [
        ("10", "ok", "$10.00</strong> of $50.00 (20 %)", "20.0"),
        ("40", "warning", "$40.00</strong> of $50.00 (80 %)", "80.0"),
        ("39.99", "ok", "$39.99</strong> of $50.00 (80 %)", "80.0"),
        ("50", "over", "$50.00</strong> of $50.00 (100 %)", "100.0"),
        ("75", "over", "$75.00</strong> of $50.00 (150 %)", "100.0"),
    ],
)
def test_the_dashboard_shows_this_months_spend_against_the_budget(
    client_for: Any, user: Any, spent: str, level: str, numbers: str, bar: str
) -> None:
    Budget.objects.create(user=user, monthly_limit=Decimal(50))
    ClusterFactory(created_by=user, cost=Decimal(spent))
    ClusterFactory(created_by=user, cost=Decimal(1000), created_at=timezone.now() - timedelta(days=40))
    part = budget_part(client_for(user))
    assert f'data-level="{level}"' in part
    assert numbers in part
    assert f'aria-valuenow="{bar}"' in part
    assert f'<rect width="{bar}%"' in part
    assert ("refused until the month ends" in part) == (level == "over")
    assert ("Over 80 % used" in part) == (level == "warning")


def test_the_dashboard_shows_the_budgets_of_the_users_groups(client_for: Any, user: Any, user2: Any) -> None:
    team = Group.objects.create(name="analysts")
    user.groups.add(team)
    user2.groups.add(team)
    Budget.objects.create(group=team, monthly_limit=Decimal(100))
    ClusterFactory(created_by=user, cost=Decimal(30))
    ClusterFactory(created_by=user2, cost=Decimal(60))
    part = budget_part(client_for(user))
    assert "Monthly budget of the group analysts" in part
    assert "$90.00</strong> of $100.00 (90 %)" in part
    assert 'data-level="warning"' in part
    assert "No budget set" not in part
