from __future__ import annotations

from datetime import UTC, datetime, timedelta

from atmo.lib.emr import instance_count, normalized_instance_hours, seconds_between

START = datetime(2026, 11, 1, tzinfo=UTC)


def test_instance_count_adds_the_master_to_workers() -> None:
    assert [instance_count(n) for n in (None, 0, 1, 2, 30)] == [1, 1, 1, 3, 31]


def test_seconds_between_counts_whole_days() -> None:
    assert seconds_between(START, START + timedelta(days=2, seconds=5)) == 2 * 86400 + 5


def test_normalized_instance_hours_rounds_started_hours_up() -> None:
    assert normalized_instance_hours(START, START + timedelta(minutes=1), 1) == 1
    assert normalized_instance_hours(START, START + timedelta(hours=2), 1) == 2
    assert normalized_instance_hours(START, START + timedelta(days=1, minutes=1), 4) == 25 * 5
