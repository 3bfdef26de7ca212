"""The heartbeat's liveness checks.

The liveness checks have the signature of Django's system checks, which is
what dockerflow's heartbeat runs, but they are **not** registered as system
checks: ``manage.py migrate`` must not fail because no worker runs yet. Only
``/__heartbeat__`` runs them (``ATMO_LIVENESS_CHECKS``, see
:mod:`atmo.monitoring.heartbeat`). Each message names what failed and how long
ago it was last seen alive; the runbook (``docs/runbook.rst``) has a section
per check id.
"""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings
from django.core import checks
from kombu.exceptions import OperationalError

from atmo.monitoring import liveness, system

ERROR_SCHEDULER = "atmo.monitoring.E001"
ERROR_SWEEPS = "atmo.monitoring.E002"
ERROR_WORKERS = "atmo.monitoring.E003"


def check_scheduler_beating(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Fails when the scheduler's last beat is older than ``ATMO_SCHEDULER_STALE_SECONDS`` or unknown."""
    limit = liveness.scheduler_stale_after()
    try:
        beat = liveness.last_beat()
    except (redis.RedisError, OSError) as exc:
        return [checks.Error(f"scheduler: unknown, Redis cannot be read ({exc})", id=ERROR_SCHEDULER)]
    if beat is None:
        return [
            checks.Error(
                "scheduler: no beat recorded (unknown: never started, or Redis lost it); "
                f"a running scheduler records one within {limit:.0f} s",
                id=ERROR_SCHEDULER,
            )
        ]
    age = beat.age()
    if age > limit:
        return [
            checks.Error(
                f"scheduler: last beat {age:.0f} s ago on {beat.host} (pid {beat.pid}), "
                f"stale after {limit:.0f} s",
                id=ERROR_SCHEDULER,
            )
        ]
    return []


def check_sweeps_on_time(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Fails when a periodic sweep has missed two scheduled runs (see :mod:`atmo.monitoring.liveness`)."""
    late = []
    for status in liveness.sweep_statuses():
        if status.is_overdue and status.age is not None and status.overdue_at is not None:
            overdue_for = (status.now - status.overdue_at).total_seconds()
            late.append(
                f"{status.name}: last succeeded {status.age.total_seconds():.0f} s ago, "
                f"overdue for {overdue_for:.0f} s"
            )
    if late:
        return [checks.Error(f"sweeps overdue: {'; '.join(late)}", id=ERROR_SWEEPS)]
    return []


def check_workers_answering(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Fails when no Celery worker answers a ping within ``ATMO_WORKER_PING_TIMEOUT`` seconds."""
    from atmo.celery import celery

    timeout = settings.ATMO_WORKER_PING_TIMEOUT
    try:
        with system.broker_connection() as connection:
            # limit=1: the first answer ends the wait, so a healthy site pays one round trip.
            replies = celery.control.ping(timeout=timeout, limit=1, connection=connection)
    except (OperationalError, redis.RedisError, OSError) as exc:
        return [checks.Error(f"workers: unknown, the broker cannot be reached ({exc})", id=ERROR_WORKERS)]
    if not replies:
        return [checks.Error(f"workers: no worker answered a ping within {timeout:g} s", id=ERROR_WORKERS)]
    return []
