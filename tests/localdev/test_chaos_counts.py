"""The counting of the chaos harness (``make chaos``), on made-up runs and mails."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from localdev.chaos.counts import Counts, Plan, Run, count_mails, count_overlaps, count_runs, count_stuck

START = datetime(2026, 1, 1, 9, tzinfo=UTC)
DAY = timedelta(days=1)
PLAN = Plan("daily", START, DAY, timedelta(hours=2))


@pytest.fixture(autouse=True)
def clean_redis() -> Iterator[None]:
    """No Redis here: pure functions."""
    yield


def run(day: float, hours: float = 1.0, active: bool = False) -> Run:
    at = START + day * DAY
    return Run("daily", at, None if active else at + timedelta(hours=hours), active)


def test_one_run_per_slot_counts_nothing() -> None:
    counts = Counts()
    count_runs([PLAN], [run(0), run(1.01), run(2.5)], START + 3 * DAY, counts)
    assert counts == Counts()
    assert not counts.failed


def test_a_second_run_in_a_slot_and_a_run_before_the_start_are_duplicates() -> None:
    counts = Counts()
    count_runs([PLAN], [run(-0.1), run(0), run(0.3), run(1)], START + 2 * DAY, counts)
    assert (counts.duplicate_runs, counts.missed_runs) == (2, 0)


def test_a_run_that_records_its_slot_counts_for_that_slot_whenever_it_started() -> None:
    """A late start (a busy previous run, a redelivered message) still belongs to its own slot."""
    late = Run("daily", START + 1.2 * DAY, START + 1.3 * DAY, False, slot=START)
    counts = Counts()
    count_runs([PLAN], [late, run(1.25)], START + 2 * DAY, counts)
    assert counts == Counts()


def test_a_slot_without_a_run_is_missed_and_runs_after_the_end_are_ignored() -> None:
    counts = Counts()
    count_runs([PLAN], [run(0), run(2), run(3)], START + 3 * DAY, counts)
    assert (counts.duplicate_runs, counts.missed_runs) == (0, 1)


def test_no_slot_is_owed_after_the_end_date() -> None:
    counts = Counts()
    ending = Plan("daily", START, DAY, timedelta(hours=2), end=START + 1.5 * DAY)
    count_runs([ending], [run(0), run(1)], START + 5 * DAY, counts)
    assert counts == Counts()


def test_a_run_started_before_the_previous_ended_overlaps_it() -> None:
    counts = Counts()
    count_overlaps([run(0, hours=30), run(1), run(2, active=True), run(2.5)], START + 3 * DAY, counts)
    assert counts.overlapping_runs == 2


def test_a_run_still_going_well_past_its_timeout_is_stuck() -> None:
    counts = Counts()
    now = START + 2 * DAY
    runs = [run(1.5, active=True), run(1.99, active=True), run(1)]
    count_stuck([PLAN], runs, now, timedelta(hours=1), counts)
    assert counts.stuck_runs == 1


def test_mails_are_matched_to_events_by_kind_and_job() -> None:
    counts = Counts()
    owed = Counter({("run_failed", "daily"): 2, ("timed_out", "daily"): 1, ("expired", "weekly"): 1})
    subjects = [
        "[ATMO] Running Spark job daily failed",
        "[ATMO] Spark job daily timed out",
        "[ATMO] Spark job daily timed out",
        "[ATMO] Spark job weekly expired",
        "[ATMO] Cluster curious-curie is expiring soon",
    ]
    count_mails(owed, subjects, counts)
    assert (counts.duplicate_mails, counts.missed_mails) == (1, 1)
    assert counts.line(days=3).startswith("chaos: days=3 duplicate_runs=0")
