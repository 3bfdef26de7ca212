"""Is the scheduler beating, and has each sweep run when it should have?

The scheduler (Celery beat) writes a timestamp to Redis on every pass of its
loop (:func:`record_beat`). Redis is where beat keeps its schedule and lock:
without Redis there is no beat either, so a lost timestamp reads as "unknown",
which fails the heartbeat like a stale one until beat writes it again (within
one loop interval). Sweeps record their last run in PostgreSQL
(:class:`~atmo.monitoring.models.Sweep`), so a Redis flush does not reset
their overdue clock.

A sweep is overdue once two of its scheduled times have passed since it last
succeeded, plus the time it is allowed to run (its soft time limit): one run
may be dropped (its ``expires`` passed while every worker was busy) without
alarming anyone.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from celery.schedules import crontab
from celery.schedules import schedule as interval_schedule
from django.conf import settings
from django.utils import timezone
from django_redis import get_redis_connection

from atmo.monitoring.models import Sweep

logger = logging.getLogger(__name__)

BEAT_KEY = "atmo:monitoring:scheduler-beat"


@dataclass(frozen=True)
class Beat:
    """The scheduler's last pass: when, and which host and process made it."""

    at: float
    host: str
    pid: int

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.at


def record_beat() -> None:
    """Store "the scheduler is alive now"; a Redis outage is logged, not raised (beat carries on)."""
    value = json.dumps({"at": time.time(), "host": socket.gethostname(), "pid": os.getpid()})
    try:
        get_redis_connection("default").set(BEAT_KEY, value)
    except (redis.RedisError, OSError) as exc:
        logger.warning("scheduler beat not recorded", extra={"error": str(exc)})


def last_beat() -> Beat | None:
    """The last beat recorded; None when there is none (never started, or Redis lost it).

    Raises ``redis.RedisError`` when Redis cannot be reached.
    """
    raw = get_redis_connection("default").get(BEAT_KEY)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return Beat(at=float(data["at"]), host=str(data["host"]), pid=int(data["pid"]))
    except (ValueError, KeyError, TypeError):
        return None


def scheduler_stale_after() -> float:
    """Seconds without a beat after which the scheduler counts as stopped: three loop intervals."""
    return float(settings.ATMO_SCHEDULER_STALE_SECONDS)


@dataclass(frozen=True)
class SweepSchedule:
    """One entry of ``CELERY_BEAT_SCHEDULE``: its name, task, schedule and time allowed to run."""

    name: str
    task: str
    schedule: Any
    run_allowance: timedelta

    @classmethod
    def from_entry(cls, name: str, entry: dict[str, Any]) -> SweepSchedule:
        limit = entry.get("options", {}).get("soft_time_limit") or settings.CELERY_TASK_SOFT_TIME_LIMIT
        return cls(
            name=name, task=entry["task"], schedule=entry["schedule"], run_allowance=timedelta(seconds=limit)
        )

    def next_due(self, after: datetime) -> datetime:
        """The first scheduled time after ``after``."""
        if isinstance(self.schedule, timedelta):
            return after + self.schedule
        if isinstance(self.schedule, crontab):
            start, delta, _now = self.schedule.remaining_delta(after)
            return start + delta
        if isinstance(self.schedule, interval_schedule):
            # celery-types leaves run_every out of its schedule class.
            return after + self.schedule.run_every  # type: ignore[attr-defined]
        # Any other kind of schedule: Celery's estimate, which counts from now.
        return timezone.now() + self.schedule.remaining_estimate(after)

    def overdue_at(self, since: datetime) -> datetime:
        return self.next_due(self.next_due(since)) + self.run_allowance


def sweep_schedules() -> list[SweepSchedule]:
    """Every periodic sweep of ``CELERY_BEAT_SCHEDULE``, read at call time (tests may change it)."""
    return [SweepSchedule.from_entry(name, entry) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()]


def sweep_names_by_task() -> dict[str, str]:
    """``{task name: entry name}`` of the sweeps: how a finished task is known to be a sweep."""
    return {sweep.task: sweep.name for sweep in sweep_schedules()}


@dataclass(frozen=True)
class SweepStatus:
    """A sweep's schedule with its last recorded run (None: it never ran)."""

    schedule: SweepSchedule
    record: Sweep | None
    now: datetime

    @property
    def name(self) -> str:
        return self.schedule.name

    @property
    def overdue_at(self) -> datetime | None:
        return None if self.record is None else self.schedule.overdue_at(self.record.succeeded_since())

    @property
    def is_overdue(self) -> bool:
        deadline = self.overdue_at
        return deadline is not None and self.now > deadline

    @property
    def age(self) -> timedelta | None:
        return None if self.record is None else self.now - self.record.succeeded_since()


def sweep_statuses() -> list[SweepStatus]:
    records = {sweep.name: sweep for sweep in Sweep.objects.all()}
    now = timezone.now()
    return [SweepStatus(schedule, records.get(schedule.name), now) for schedule in sweep_schedules()]
