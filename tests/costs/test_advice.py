"""Advice on jobs that use far less than they pay for: each rule at its boundaries, and on the job page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from atmo.costs.advice import Advice, advice_for, cost_per_run_growth, oversized, short_runs
from atmo.costs.spend import month_start
from atmo.costs.trends import ended_runs
from atmo.jobs.models import SparkJobRun
from tests.costs.helpers import ended_run
from tests.jobs.factories import SparkJobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(user: Any) -> Any:
    """Three hours of timeout on four nodes."""
    return SparkJobFactory(created_by=user, job_timeout=3, size=4)


# --- Short runs ---------------------------------------------------------------------------


def test_ten_runs_under_ten_percent_of_the_timeout_suggest_a_shorter_one(job: Any, live_setting: Any) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=False)
    for minutes in (3, 4, 2, 4, 1, 3, 3, 2, 4, 1):
        ended_run(job, minutes)
    advice = short_runs(job, ended_runs(job))
    assert advice is not None
    assert advice.kind == Advice.SHORTER_TIMEOUT
    assert advice.message.startswith("The last 10 runs took at most 4 min of a 3 h timeout.")
    # A hung run of 4 nodes (c3.4xlarge, all on demand): 1.05 + 4 × 1.05 per hour.
    assert "A timeout of 1 h would still give them twice the time the longest took" in advice.message
    assert "a run that hangs would cost at most $5.25 instead of $15.75" in advice.message
    assert advice.numbers["longest"] == timedelta(minutes=4)
    assert advice.numbers["suggested_hours"] == 1


def test_nine_runs_are_not_enough(job: Any) -> None:
    for _ in range(9):
        ended_run(job, 2)
    assert short_runs(job, ended_runs(job)) is None
    ended_run(job, 2)
    assert short_runs(job, ended_runs(job)) is not None


def test_a_run_at_exactly_ten_percent_of_the_timeout_gives_no_advice(job: Any) -> None:
    for _ in range(9):
        ended_run(job, 2)
    ended_run(job, 18)  # 10 % of 3 hours
    assert short_runs(job, ended_runs(job)) is None


def test_a_run_just_under_ten_percent_still_counts(job: Any) -> None:
    for _ in range(9):
        ended_run(job, 2)
    ended_run(job, 17.9)
    assert short_runs(job, ended_runs(job)) is not None


def test_an_older_long_run_does_not_count_but_a_failed_recent_one_does(job: Any) -> None:
    ended_run(job, 170, start=timezone.now() - timedelta(days=3))
    for _ in range(10):
        ended_run(job, 2)
    assert short_runs(job, ended_runs(job)) is not None
    ended_run(job, 1, status=SparkJobRun.State.TERMINATED_WITH_ERRORS)
    assert short_runs(job, ended_runs(job)) is None


def test_with_the_shortest_timeout_it_suggests_a_smaller_cluster(user: Any) -> None:
    job = SparkJobFactory(created_by=user, job_timeout=1, size=4)
    for _ in range(10):
        ended_run(job, 5)
    advice = short_runs(job, ended_runs(job))
    assert advice is not None
    assert advice.message == (
        "The last 10 runs took at most 5 min of a 1 h timeout. "
        "A smaller cluster than 4 nodes may do the work in time for less."
    )
    one_node = SparkJobFactory(created_by=user, identifier="tiny", job_timeout=1, size=1)
    for _ in range(10):
        ended_run(one_node, 5)
    assert short_runs(one_node, ended_runs(one_node)) is None


# --- Cost per run -----------------------------------------------------------------------------


def runs_costing(job: Any, month: Any, *costs: str) -> None:
    for cost in costs:
        ended_run(job, 10, cost, start=month + timedelta(days=1))


@pytest.mark.parametrize(
    ("before", "now", "advised"),
    [
        (("1.00", "3.00"), ("4.00",), True),  # 2.00 → 4.00: exactly double
        (("1.00", "3.00"), ("3.99",), False),
        (("1.00",), ("5.00", "6.00"), True),
        ((), ("5.00",), False),  # nothing to compare with
        (("1.00",), (), False),
    ],
)
def test_cost_per_run_that_doubled_since_last_month_is_pointed_out(
    job: Any, before: tuple[str, ...], now: tuple[str, ...], advised: bool
) -> None:
    this_month = month_start()
    runs_costing(job, month_start(this_month - timedelta(days=1)), *before)
    runs_costing(job, this_month, *now)
    ended_run(job, 10, None, start=this_month + timedelta(days=1))  # not priced yet: not counted
    advice = cost_per_run_growth(job, timezone.now())
    assert (advice is not None) == advised


def test_the_cost_advice_gives_both_averages_and_months(job: Any) -> None:
    now = timezone.now()
    this_month = month_start(now)
    last_month = month_start(this_month - timedelta(days=1))
    runs_costing(job, last_month, "1.00", "2.00")
    runs_costing(job, this_month, "4.00")
    runs_costing(job, month_start(last_month - timedelta(days=1)), "0.01")  # two months ago: ignored
    advice = cost_per_run_growth(job, now)
    assert advice is not None
    assert advice.message == (
        f"The cost per run more than doubled since last month: $4.00 on average over 1 runs in "
        f"{this_month:%B}, against $1.50 over 2 runs in {last_month:%B}."
    )
    assert advice.numbers == {
        "this_month": Decimal("4.00"),
        "last_month": Decimal("1.50"),
        "ratio": Decimal("2.67"),
    }


# --- Cluster size -------------------------------------------------------------------------------


def test_a_smaller_size_that_ran_about_as_fast_is_suggested(job: Any) -> None:
    for _ in range(3):
        ended_run(job, 12, size=2)
    for _ in range(3):
        ended_run(job, 10, size=4)
    advice = oversized(job, ended_runs(job))
    assert advice is not None
    assert advice.message == (
        "Runs on 2 nodes took 12 min on average; on 4 nodes they take 10 min. "
        "The bigger cluster does not make the job much faster: a size of 2 may do."
    )


@pytest.mark.parametrize(
    ("small_minutes", "small_runs", "big_runs", "advised"),
    [
        (12.5, 3, 3, True),  # exactly 25 % slower
        (12.6, 3, 3, False),
        (10, 2, 3, False),  # too few runs on the smaller size
        (10, 3, 2, False),  # too few on the job's size
    ],
)
def test_the_size_rule_needs_enough_runs_and_a_small_slowdown(
    job: Any, small_minutes: float, small_runs: int, big_runs: int, advised: bool
) -> None:
    for _ in range(small_runs):
        ended_run(job, small_minutes, size=2)
    for _ in range(big_runs):
        ended_run(job, 10, size=4)
    assert (oversized(job, ended_runs(job)) is not None) == advised


# --- On the job page -----------------------------------------------------------------------------


def test_the_job_page_shows_the_advice_with_its_numbers(client_for: Any, user: Any, job: Any) -> None:
    for _ in range(10):
        ended_run(job, 4)
    body = client_for(user).get(job.urls.detail).content.decode()
    assert 'data-advice="shorter-timeout"' in body
    assert "The last 10 runs took at most 4 min of a 3 h timeout." in body


def test_a_job_that_uses_what_it_pays_for_gets_no_advice(client_for: Any, user: Any, job: Any) -> None:
    for _ in range(10):
        ended_run(job, 90)
    assert advice_for(job) == []
    assert 'data-testid="advice"' not in client_for(user).get(job.urls.detail).content.decode()
