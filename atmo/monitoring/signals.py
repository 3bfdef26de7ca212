"""Celery signal receivers: task metrics, sweep records, the scheduler's beat, the worker's metrics port.

Signals rather than code in each task: the tasks stay about their work, and
every task, present and future, is counted the same way. What each receiver
does is listed in :func:`connect`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from typing import Any

from celery import signals
from django.conf import settings
from django.db import DatabaseError

from atmo.monitoring import liveness, metrics
from atmo.monitoring.models import Sweep

logger = logging.getLogger(__name__)

#: Seconds between two beats written to Redis, however often beat's loop turns.
BEAT_MIN_INTERVAL = 1.0

# Per-process state between a task's signals, keyed by task id: the pool
# process that runs a task sends all of its signals.
_started: dict[str, float] = {}
_failures: dict[str, BaseException] = {}


def connect() -> None:
    """Connect the receivers (idempotent: Celery keys them by ``dispatch_uid``).

    * ``task_prerun``/``task_failure``/``task_postrun``: ``atmo_celery_tasks_total``,
      ``atmo_celery_task_duration_seconds`` and, for the sweeps of
      ``CELERY_BEAT_SCHEDULE``, their metrics and :class:`~atmo.monitoring.models.Sweep` row.
    * ``task_revoked``: tasks dropped unrun, ``expired`` when nobody picked them up in time.
    * ``beat_init``: the scheduler records a beat on every pass of its loop.
    * ``worker_init``: the worker serves its metrics on ``ATMO_WORKER_METRICS_PORT``.
    """
    signals.task_prerun.connect(task_started, dispatch_uid="atmo.monitoring.task_started", weak=False)
    signals.task_failure.connect(task_failed, dispatch_uid="atmo.monitoring.task_failed", weak=False)
    signals.task_postrun.connect(task_ended, dispatch_uid="atmo.monitoring.task_ended", weak=False)
    signals.task_revoked.connect(task_revoked, dispatch_uid="atmo.monitoring.task_revoked", weak=False)
    signals.beat_init.connect(beat_started, dispatch_uid="atmo.monitoring.beat_started", weak=False)
    signals.worker_init.connect(worker_started, dispatch_uid="atmo.monitoring.worker_started", weak=False)


def task_started(task_id: str, **kwargs: Any) -> None:
    _started[task_id] = time.monotonic()


def task_failed(task_id: str, exception: BaseException, **kwargs: Any) -> None:
    _failures[task_id] = exception


def task_ended(task_id: str, task: Any, retval: Any = None, state: str | None = None, **kwargs: Any) -> None:
    started = _started.pop(task_id, None)
    failure = _failures.pop(task_id, None)
    duration = None if started is None else time.monotonic() - started
    outcome = task_outcome(task, state, failure)
    metrics.CELERY_TASKS.labels(task.name, outcome).inc()
    if duration is not None:
        metrics.CELERY_TASK_DURATION.labels(task.name).observe(duration)
    sweep = liveness.sweep_names_by_task().get(task.name)
    if sweep is not None:
        record_sweep(sweep, task.name, outcome, duration, rows_changed(retval, failure), failure)


def task_revoked(request: Any = None, expired: bool = False, sender: Any = None, **kwargs: Any) -> None:
    name = getattr(sender, "name", None) or getattr(request, "task", None) or "unknown"
    metrics.CELERY_TASKS.labels(name, "expired" if expired else "revoked").inc()


def task_outcome(task: Any, state: str | None, failure: BaseException | None) -> str:
    """``success``, ``retry``, ``failure``, or ``expected_failure`` for an exception the task ``throws``."""
    if failure is not None:
        expected = tuple(getattr(task, "throws", ()) or ())
        return "expected_failure" if expected and isinstance(failure, expected) else "failure"
    return (state or "unknown").lower()


def rows_changed(retval: Any, failure: BaseException | None) -> int | None:
    """What a sweep's return value says it handled: a count, or the length of a collection.

    The sweeps return lists of what they changed (identifiers, ``[identifier,
    pk]`` pairs), some a count; anything else (or a failure) is "unknown".
    """
    if failure is not None or isinstance(retval, bool):
        return None
    if isinstance(retval, int):
        return retval
    if retval is None:
        return 0
    if isinstance(retval, Collection) and not isinstance(retval, str | bytes):
        return len(retval)
    return None


def record_sweep(
    name: str,
    task: str,
    outcome: str,
    duration: float | None,
    rows: int | None,
    failure: BaseException | None,
) -> None:
    """Count the sweep's run and keep it as the sweep's last; a database outage is logged, not raised."""
    if duration is not None:
        metrics.SWEEP_DURATION.labels(name, outcome).observe(duration)
    if rows:
        metrics.SWEEP_ROWS_CHANGED.labels(name).inc(rows)
    if outcome == "retry":
        # Not finished: the retry will end it, or give up.
        return
    error = "" if failure is None else f"{type(failure).__name__}: {failure}"[:1000]
    try:
        Sweep.record(name, task, outcome, duration, rows, error)
    except DatabaseError as exc:
        logger.warning("sweep run not recorded", extra={"sweep": name, "error": str(exc)})


def beat_started(sender: Any = None, **kwargs: Any) -> None:
    """Make the scheduler record a beat each time its loop turns (see :func:`beating`)."""
    scheduler = sender.scheduler
    scheduler.tick = beating(scheduler.tick)


def beating(tick: Callable[..., float]) -> Callable[..., float]:
    """``tick`` that also records a beat, at most every :data:`BEAT_MIN_INTERVAL` seconds.

    The beat is written after the scheduler's own pass, so a scheduler that
    hangs in its pass (on Redis, on its lock) stops beating too.
    """
    last = 0.0

    def tick_and_beat(*args: Any, **kwargs: Any) -> float:
        nonlocal last
        interval = tick(*args, **kwargs)
        now = time.monotonic()
        if now - last >= BEAT_MIN_INTERVAL:
            liveness.record_beat()
            last = now
        return interval

    return tick_and_beat


def worker_started(sender: Any = None, **kwargs: Any) -> None:
    """Serve this worker's metrics (its pool processes' too) on ``ATMO_WORKER_METRICS_PORT``, if set."""
    port = settings.ATMO_WORKER_METRICS_PORT
    if not port:
        return
    from prometheus_client import start_http_server

    # The worker's main process: the pool processes are forked later and do not
    # inherit this thread. It reads the values they write to the shared directory.
    # Every interface: Prometheus reaches the worker's container from outside it.
    start_http_server(port, addr="0.0.0.0", registry=_worker_registry())  # noqa: S104
    logger.info("worker metrics served", extra={"port": port})


def _worker_registry() -> Any:
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    registry.register(metrics.event_collector())
    return registry
