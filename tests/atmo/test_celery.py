from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from celery.schedules import crontab

from atmo.celery import AtmoCelery, ExpoBackoffFullJitter, celery
from atmo.settings import sync_options


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
    assert celery.conf.beat_scheduler == "atmo.beat.ReseedingRedBeatScheduler"
    assert celery.conf.beat_max_loop_interval == 5
    assert celery.conf.task_track_started is True
    assert (celery.conf.task_soft_time_limit, celery.conf.task_time_limit) == (300, 600)
    assert celery.conf.beat_schedule["clean_orphan_obj_perms"]["task"] == "atmo.tasks.cleanup_permissions"


def every_seconds(schedule: object) -> float:
    """How often a beat schedule fires, in seconds: an interval, or an every-day crontab."""
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    assert isinstance(schedule, crontab)
    assert (len(schedule.day_of_week), len(schedule.day_of_month), len(schedule.month_of_year)) == (7, 31, 12)
    firings_a_day = len(schedule.hour) * len(schedule.minute)
    return 86400 / firings_a_day


# The periodic sweeps, as the behaviour spec schedules them outside dev: (task, every, options).
SPEC_SCHEDULE = {
    "expire_jobs": ("atmo.jobs.tasks.expire_jobs", 60, {"soft_time_limit": 15, "expires": 40}),
    "deactivate_clusters": (
        "atmo.clusters.tasks.deactivate_clusters",
        60,
        {"soft_time_limit": 15, "expires": 40},
    ),
    "send_expiration_mails": ("atmo.clusters.tasks.send_expiration_mails", 300, {"expires": 240}),
    "send_run_alert_mails": ("atmo.jobs.tasks.send_run_alert_mails", 60, {"expires": 40}),
    "update_clusters": ("atmo.clusters.tasks.update_clusters", 300, {"soft_time_limit": 270, "expires": 180}),
    "update_jobs_statuses": (
        "atmo.jobs.tasks.update_jobs_statuses",
        900,
        {"soft_time_limit": 870, "expires": 600},
    ),
    "clean_orphan_obj_perms": ("atmo.tasks.cleanup_permissions", 86400, {}),
    # Not in the spec, which had no retries: failed runs are retried as often as runs are synced.
    "retry_failed_runs": (
        "atmo.jobs.tasks.retry_failed_runs",
        900,
        {"soft_time_limit": 870, "expires": 600},
    ),
    # Not in the spec, whose sessions lived in the cache: database sessions need a sweep.
    "clear_expired_sessions": ("atmo.tasks.clear_expired_sessions", 86400, {}),
    # Not in the spec, whose jobs had a redbeat entry each: their slots are in the database.
    "dispatch_jobs": ("atmo.jobs.tasks.dispatch_jobs", 30, {"soft_time_limit": 25, "expires": 25}),
    # Not in the spec either: the budget mails of issue 11.
    "check_budgets": ("atmo.costs.tasks.check_budgets", 300, {"expires": 240}),
    # Not in the spec, which had no webhooks: deliveries whose task was lost are queued again.
    "sweep_webhook_deliveries": (
        "atmo.notifications.tasks.sweep_webhook_deliveries",
        60,
        {"soft_time_limit": 30, "expires": 40},
    ),
}


@pytest.mark.parametrize("name", SPEC_SCHEDULE)
def test_the_beat_schedule_runs_every_sweep_of_the_spec(name: str) -> None:
    task, every, options = SPEC_SCHEDULE[name]
    entry = celery.conf.beat_schedule[name]
    assert entry["task"] == task
    # A worker imports every app's tasks module at start; the entry must name one of their tasks.
    importlib.import_module(task.rpartition(".")[0])
    assert task in celery.tasks, f"{task} is not a registered task"
    assert every_seconds(entry["schedule"]) == every
    assert entry.get("options", {}) == options


def test_the_beat_schedule_has_nothing_else() -> None:
    assert set(celery.conf.beat_schedule) == set(SPEC_SCHEDULE)


def test_the_permission_cleanup_runs_at_half_past_three_utc() -> None:
    schedule = celery.conf.beat_schedule["clean_orphan_obj_perms"]["schedule"]
    assert (schedule.hour, schedule.minute) == ({3}, {30})


@pytest.mark.parametrize(
    ("seconds", "share", "expected"),
    [(300, 0.6, {"soft_time_limit": 270, "expires": 180}), (5, 0.6, {"soft_time_limit": 50, "expires": 3})],
)
def test_a_faster_sync_keeps_a_workable_time_limit(
    seconds: int, share: float, expected: dict[str, int]
) -> None:
    assert sync_options(seconds, expires_share=share) == expected
