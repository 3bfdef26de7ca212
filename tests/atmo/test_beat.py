"""The beat scheduler writes its static entries again when Redis lost them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from redbeat.schedulers import acquire_distributed_beat_lock, get_redis

from atmo.beat import ReseedingRedBeatScheduler
from localdev.redis import EmbeddedRedis

STATIC_SCHEDULE = {
    "sweep": {"task": "atmo.tasks.cleanup_permissions", "schedule": 3600.0},
    "sync": {"task": "atmo.jobs.tasks.update_jobs_statuses", "schedule": 1800.0},
}


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(data_dir=tmp_path / "redis", persist=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def scheduler(own_redis: EmbeddedRedis) -> Iterator[ReseedingRedBeatScheduler]:
    """The scheduler as ``celery beat`` starts it: static entries written, lock held."""
    app = Celery("beat-test", set_as_current=False)
    app.conf.update(
        broker_url=own_redis.url,
        redbeat_redis_url=own_redis.url,
        redbeat_lock_timeout=10,
        beat_schedule=STATIC_SCHEDULE,
        beat_max_loop_interval=1,
    )
    scheduler = ReseedingRedBeatScheduler(app=app)
    acquire_distributed_beat_lock(sender=type("Beat", (), {"scheduler": scheduler})())
    yield scheduler
    scheduler.close()


def static_entries(scheduler: ReseedingRedBeatScheduler) -> dict[str, Any]:
    """The static entries in Redis with their last run time, as beat would load them."""
    client = get_redis(scheduler.app)
    entries = {}
    for name in STATIC_SCHEDULE:
        key = scheduler.Entry.generate_key(scheduler.app, name)
        if client.exists(key) and client.zscore(scheduler.app.redbeat_conf.schedule_key, key) is not None:
            entries[name] = scheduler.Entry.from_key(key, app=scheduler.app).last_run_at
    return entries


def test_a_tick_leaves_entries_that_are_there_alone(scheduler: ReseedingRedBeatScheduler) -> None:
    before = static_entries(scheduler)
    assert set(before) == set(STATIC_SCHEDULE)
    scheduler.tick()
    assert not scheduler.restore_static_entries()
    assert static_entries(scheduler) == before


@pytest.mark.parametrize("loss", ["flush", "restart"])
def test_the_static_entries_and_the_lock_come_back_after_redis_lost_them(
    scheduler: ReseedingRedBeatScheduler, own_redis: EmbeddedRedis, loss: str
) -> None:
    scheduler.tick()
    if loss == "flush":
        get_redis(scheduler.app).flushdb()
    else:
        own_redis.restart()  # keeps nothing
    assert static_entries(scheduler) == {}

    scheduler.tick()  # takes the lock back first (it went with the data)
    scheduler.tick()

    assert set(static_entries(scheduler)) == set(STATIC_SCHEDULE)
    assert scheduler.lock is not None and scheduler.lock.owned()


def test_a_tick_while_redis_is_down_waits_instead_of_stopping_beat(
    scheduler: ReseedingRedBeatScheduler, own_redis: EmbeddedRedis
) -> None:
    own_redis.stop()
    assert scheduler.tick() == scheduler.max_interval
    own_redis.start()
    scheduler.tick()
    scheduler.tick()
    assert set(static_entries(scheduler)) == set(STATIC_SCHEDULE)


def test_the_per_job_entries_of_earlier_releases_are_dropped_at_start(
    scheduler: ReseedingRedBeatScheduler,
) -> None:
    """Jobs are sent by the dispatcher now; an entry left from before would send them a second way."""
    legacy = scheduler.Entry(
        name="atmo.jobs.tasks.run_job:7",
        task="atmo.jobs.tasks.run_job",
        schedule=scheduler.app.conf.beat_schedule["sync"]["schedule"],
        args=(7,),
        app=scheduler.app,
    )
    legacy.save()
    scheduler.setup_schedule()
    client = get_redis(scheduler.app)
    assert not client.exists(legacy.key)
    assert client.zscore(scheduler.app.redbeat_conf.schedule_key, legacy.key) is None
    assert set(static_entries(scheduler)) == set(STATIC_SCHEDULE)
