"""Metrics read when scraped: states in PostgreSQL and Redis, not events counted by a process.

Every web replica reports the same values: aggregate them with ``max`` (not
``sum``) in queries and alerts. Each source is read in one query; a source
that cannot be read drops its families and sets ``atmo_monitoring_source_up``
to 0, so the scrape itself never fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import redis
from django.db import DatabaseError
from kombu.exceptions import OperationalError
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from atmo.monitoring import liveness, system

logger = logging.getLogger(__name__)

SOURCE_ERRORS = (DatabaseError, redis.RedisError, OperationalError, OSError)


class StateCollector(Collector):
    """Clusters and runs by state, runs past their timeout, queues, the scheduler's beat and the sweeps."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "atmo_monitoring_source_up",
            "Whether the scrape could read each source (1) or not (0).",
            labels=["source"],
        )
        for source, read in self.sources().items():
            try:
                families = list(read())
            except SOURCE_ERRORS as exc:
                logger.warning("metrics source not read", extra={"source": source, "error": str(exc)})
                up.add_metric([source], 0)
                continue
            up.add_metric([source], 1)
            yield from families
        yield up

    def sources(self) -> dict[str, Callable[[], Iterator[GaugeMetricFamily]]]:
        return {
            "database": self.database_states,
            "broker": self.broker_queues,
            "scheduler": self.scheduler_beat,
        }

    def database_states(self) -> Iterator[GaugeMetricFamily]:
        clusters = GaugeMetricFamily("atmo_clusters", "Clusters by EMR state.", labels=["state"])
        for state, count in sorted(system.clusters_by_state().items()):
            clusters.add_metric([state], count)
        yield clusters
        runs = GaugeMetricFamily("atmo_job_runs", "Spark job runs by EMR state.", labels=["state"])
        for state, count in sorted(system.runs_by_state().items()):
            runs.add_metric([state], count)
        yield runs
        yield GaugeMetricFamily(
            "atmo_job_runs_past_timeout",
            "Active runs past their job's timeout (ATMO should have stopped them).",
            value=len(system.runs_past_timeout()),
        )
        yield from self.sweeps()

    def sweeps(self) -> Iterator[GaugeMetricFamily]:
        succeeded = GaugeMetricFamily(
            "atmo_sweep_last_success_timestamp_seconds",
            "When each sweep last succeeded (UNIX time); absent until it has.",
            labels=["sweep"],
        )
        overdue = GaugeMetricFamily(
            "atmo_sweep_overdue", "1 when a sweep has missed two scheduled runs, else 0.", labels=["sweep"]
        )
        for status in liveness.sweep_statuses():
            if status.record is not None and status.record.last_succeeded_at is not None:
                succeeded.add_metric([status.name], status.record.last_succeeded_at.timestamp())
            overdue.add_metric([status.name], int(status.is_overdue))
        yield succeeded
        yield overdue

    def broker_queues(self) -> Iterator[GaugeMetricFamily]:
        lengths = system.queue_lengths()
        queued = GaugeMetricFamily(
            "atmo_celery_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for name, count in lengths["queues"].items():
            queued.add_metric([name], count)
        yield queued
        yield GaugeMetricFamily(
            "atmo_celery_unacked_messages",
            "Messages workers have taken and not yet acknowledged (running tasks, retries waiting).",
            value=lengths["unacked"],
        )

    def scheduler_beat(self) -> Iterator[GaugeMetricFamily]:
        beat = liveness.last_beat()
        family = GaugeMetricFamily(
            "atmo_scheduler_last_beat_timestamp_seconds",
            "When the scheduler last went through its loop (UNIX time); absent when unknown.",
        )
        if beat is not None:
            family.add_metric([], beat.at)
        yield family
