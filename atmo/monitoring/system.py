"""Reads of the system's state shared by the metrics scrape and the admin's system page.

Each is one query (or one Redis round trip), whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.jobs.models import SparkJobRun


def clusters_by_state() -> dict[str, int]:
    """``{EMR state: number of clusters}`` (``REQUESTED`` before EMR has one)."""
    rows = Cluster.objects.order_by().values_list("most_recent_status").annotate(count=Count("pk"))
    return {state or "UNKNOWN": count for state, count in rows}


def runs_by_state() -> dict[str, int]:
    rows = SparkJobRun.objects.order_by().values_list("status").annotate(count=Count("pk"))
    return {state or "UNKNOWN": count for state, count in rows}


@dataclass(frozen=True)
class OverdueRun:
    """An active run whose job's timeout has passed: ATMO should have stopped it."""

    pk: int
    identifier: str
    jobflow_id: str | None
    status: str
    scheduled_at: datetime
    deadline: datetime
    timed_out_at: datetime | None


def runs_past_timeout(now: datetime | None = None) -> list[OverdueRun]:
    """Active runs past ``scheduled_at + job_timeout`` hours, oldest deadline first."""
    now = now or timezone.now()
    rows = (
        SparkJobRun.objects.active()
        .filter(scheduled_at__isnull=False)
        .order_by()
        .values_list(
            "pk",
            "spark_job__identifier",
            "jobflow_id",
            "status",
            "scheduled_at",
            "spark_job__job_timeout",
            "timed_out_at",
        )
    )
    overdue = [
        OverdueRun(
            pk,
            identifier,
            jobflow_id,
            status,
            scheduled_at,
            scheduled_at + timedelta(hours=hours),
            timed_out_at,
        )
        for pk, identifier, jobflow_id, status, scheduled_at, hours, timed_out_at in rows
        if scheduled_at is not None  # filtered in SQL already; this tells the type checker
    ]
    return sorted((run for run in overdue if run.deadline <= now), key=lambda run: run.deadline)


def queue_names() -> list[str]:
    """The Celery queues tasks are sent to: the default one and any declared in settings."""
    from atmo.celery import celery

    names = {celery.conf.task_default_queue}
    names.update(queue.name for queue in celery.conf.task_queues or ())
    return sorted(names)


@contextmanager
def broker_connection() -> Iterator[Any]:
    """A pooled connection to the broker that fails at once when it is down.

    kombu would otherwise retry for about six seconds: longer than a load
    balancer waits for the heartbeat, or Prometheus for a scrape.
    """
    from atmo.celery import celery

    with celery.connection_or_acquire() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, interval_max=0)
        yield connection


def queue_lengths() -> dict[str, Any]:
    """``{"queues": {name: messages waiting}, "unacked": messages taken but not yet acknowledged}``.

    "Unacked" are the messages workers hold: running tasks, and retries waiting
    for their countdown. Raises kombu's or redis's error when the broker is down.
    """
    with broker_connection() as connection:
        channel = connection.default_channel
        queues = {name: channel.queue_declare(queue=name).message_count for name in queue_names()}
        # channel.client is kombu's asynchronous client (its commands answer None): ask its own.
        with channel.conn_or_acquire() as client:
            unacked = client.hlen(channel.unacked_key)
    return {"queues": queues, "unacked": unacked}
