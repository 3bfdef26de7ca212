from __future__ import annotations

import pytest

from atmo.celery import AtmoCelery, ExpoBackoffFullJitter, celery


@pytest.mark.parametrize("n, bound", [(0, 1), (1, 2), (3, 8), (10, 1024)])
def test_backoff_stays_within_the_exponential_bound(n: int, bound: int) -> None:
    waits = [celery.backoff(n) for _ in range(500)]
    assert all(0 <= wait <= bound for wait in waits)
    # Full jitter: the waits spread over the interval instead of sitting at its top.
    assert min(waits) < bound * 0.25
    assert max(waits) > bound * 0.75


def test_backoff_is_capped() -> None:
    assert all(celery.backoff(30) <= 3600 for _ in range(200))
    assert all(celery.backoff(12, cap=60) <= 60 for _ in range(200))
    assert max(celery.backoff(12, cap=60) for _ in range(500)) > 45


def test_backoff_survives_absurd_retry_numbers() -> None:
    assert 0 <= celery.backoff(10_000) <= 3600


def test_expo_doubles_until_the_cap() -> None:
    strategy = ExpoBackoffFullJitter(base=1, cap=100)
    assert [strategy.expo(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 64, 100]


def test_the_app_reads_celery_settings_from_django() -> None:
    assert isinstance(celery, AtmoCelery)
    assert celery.conf.beat_scheduler == "redbeat.RedBeatScheduler"
    assert celery.conf.beat_max_loop_interval == 5
    assert celery.conf.task_track_started is True
    assert (celery.conf.task_soft_time_limit, celery.conf.task_time_limit) == (300, 600)
    assert celery.conf.beat_schedule["clean_orphan_obj_perms"]["task"] == "atmo.tasks.cleanup_permissions"
