"""`EMRLifecycle`: moves the emulator's EMR clusters and their steps through their states on a clock."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from moto.core.utils import utcnow
from moto.emr.models import Cluster, Step, emr_backends

from atmo.lib.emr import normalization_factor, started_hours
from localdev.aws.config import Timings
from localdev.aws.emr_patches import (
    EMR_LOCK,
    ERROR_REASON_CODES,
    IDLE_REASON_MESSAGE,
    IDLE_TIMEOUT_ATTR,
    MASTER_DNS_ATTR,
    REASON_CODE_ATTR,
    REASON_MESSAGE_ATTR,
    TERMINATE_ON_FAILURE,
    set_cluster_state,
    set_step_state,
)

logger = logging.getLogger("localdev.aws")


def iter_emr_clusters() -> Iterator[Cluster]:
    """Every cluster in every account and region moto has created a backend for."""
    # Snapshots (list()) because request threads may add accounts, regions or clusters meanwhile.
    for account_backends in list(emr_backends.values()):
        for backend in list(account_backends.values()):
            yield from list(backend.clusters.values())


def _first_step(cluster: Cluster, state: str) -> Step | None:
    return next((step for step in cluster.steps if step.state == state), None)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


StepHook = Callable[[Step, datetime], None]


class StepRunner(Protocol):
    """Really runs some steps (the batch step: :class:`~localdev.aws.job_steps.BatchStepRunner`).

    Such a step stays RUNNING until its process exits, and ends COMPLETED or FAILED
    by its exit status; the other steps complete after ``Timings.step``.
    """

    def runs(self, step: Step) -> bool:
        """Whether this runner runs ``step``."""

    def start(self, step: Step) -> None:
        """Start the step (called once, outside the EMR lock, after it became RUNNING)."""

    def exit_status(self, step: Step) -> int | None:
        """The step's exit status; None while it runs or before it started."""

    def stop(self, step: Step) -> None:
        """The step is no longer RUNNING (ended, or cancelled with its cluster): end what is left."""


@dataclass
class _Track:
    """What the lifecycle knows about a cluster: the state it last saw and since when."""

    state: str | None
    since: datetime
    #: When the lifecycle first saw the cluster: its instances count from then.
    adopted: datetime


class EMRLifecycle:
    """Moves moto's EMR clusters and their steps through their states on a clock.

    `tick(now)` is the whole behaviour and depends only on ``now`` and the
    clusters' state, so tests drive it with fake times; `run()` calls it in a
    loop for the server. Each transition is dated when it was due, not when a
    tick noticed it, so the timeline does not depend on the tick interval.
    ``on_step_finished(step, finished_at)`` is called, outside the lock, for
    every step that completes or fails; its errors are logged and ignored. Steps
    the ``step_runner`` runs end when their process does, dated by the tick that sees it.
    """

    MAX_TRANSITIONS_PER_TICK = 100

    def __init__(
        self,
        timings: Timings | None = None,
        *,
        clusters: Callable[[], Iterable[Cluster]] = iter_emr_clusters,
        on_step_finished: StepHook | None = None,
        step_runner: StepRunner | None = None,
    ) -> None:
        self.timings = timings or Timings()
        self._clusters = clusters
        self._on_step_finished = on_step_finished
        self.step_runner = step_runner
        self._started_steps: dict[str, Step] = {}
        self._tracks: dict[str, _Track] = {}
        self._dns_numbers = itertools.count(1)

    def run(self, stop: threading.Event, interval: float) -> None:
        """Tick every ``interval`` seconds until ``stop`` is set; a failing tick is logged, not fatal."""
        while not stop.wait(interval):
            try:
                self.tick(utcnow())
            except Exception:
                logger.exception("EMR lifecycle tick failed")

    def tick(self, now: datetime) -> None:
        """Make every transition due by ``now`` (naive UTC, like moto's own timestamps)."""
        finished: list[tuple[Step, datetime]] = []
        with EMR_LOCK:
            clusters = list(self._clusters())
            self._forget_all_but({cluster.id for cluster in clusters})
            for cluster in clusters:
                self._advance(cluster, now, finished)
        # Outside the lock: the hook and the runner talk to S3 over HTTP, through this same server.
        for step, finished_at in finished:
            self._notify(step, finished_at)
        if self.step_runner is not None:
            self._drive_runner(self.step_runner, clusters)

    def _drive_runner(self, runner: StepRunner, clusters: list[Cluster]) -> None:
        """Start the runner's steps that became RUNNING; stop those that no longer are."""
        with EMR_LOCK:
            running = {
                step.id: step
                for cluster in clusters
                for step in cluster.steps
                if step.state == "RUNNING" and runner.runs(step)
            }
        for step_id, step in running.items():
            if step_id not in self._started_steps:
                self._started_steps[step_id] = step
                runner.start(step)
        for step_id in self._started_steps.keys() - running.keys():
            runner.stop(self._started_steps.pop(step_id))

    def _forget_all_but(self, cluster_ids: set[str]) -> None:
        # Clusters vanish when moto is reset (POST /moto-api/reset).
        for cluster_id in self._tracks.keys() - cluster_ids:
            del self._tracks[cluster_id]

    def _advance(self, cluster: Cluster, now: datetime, finished: list[tuple[Step, datetime]]) -> None:
        track = self._tracks.get(cluster.id)
        if track is None:
            track = self._tracks[cluster.id] = self._adopt(cluster, now)
        elif track.state != cluster.state:
            # Changed by a request (TerminateJobFlows): that phase starts now.
            track.state, track.since = cluster.state, now
        for _ in range(self.MAX_TRANSITIONS_PER_TICK):
            at = self._transition(cluster, track, now, finished)
            if at is None:
                break
            track.state, track.since = cluster.state, at
        cluster.normalized_instance_hours = self._normalized_instance_hours(cluster, track.adopted, now)

    def _normalized_instance_hours(self, cluster: Cluster, started: datetime, now: datetime) -> int:
        """Every started (compressed) hour of every instance, times its type's normalization factor."""
        ended = cluster.end_datetime or now
        hours = started_hours((ended - started).total_seconds() * 3600 / self.timings.hour)
        total = 0.0
        for group in cluster.instance_groups:
            try:
                factor = normalization_factor(group.instance_type)
            except ValueError:
                factor = 1.0  # a made-up type in a test still counts its instances
            total += group.num_instances * factor
        return round(hours * total)

    def _adopt(self, cluster: Cluster, now: datetime) -> _Track:
        """Start tracking a cluster; a new one is reset to how a real one starts."""
        if cluster.state == "STARTING":
            # moto stamps the first step as started at creation and the groups as ready.
            for step in cluster.steps:
                step.start_date_time = None
            for group in cluster.instance_groups:
                group.state, group.ready_date_time = "PROVISIONING", None
        return _Track(state=cluster.state, since=now, adopted=now)

    def _transition(
        self, cluster: Cluster, track: _Track, now: datetime, finished: list[tuple[Step, datetime]]
    ) -> datetime | None:
        """Make the cluster's next transition if it is due; return when it happened, or None."""
        if cluster.state in ("RUNNING", "WAITING"):
            return self._advance_steps(cluster, track, now, finished)
        delays = {
            "STARTING": self.timings.starting,
            "BOOTSTRAPPING": self.timings.bootstrapping,
            "TERMINATING": self.timings.terminating,
        }
        if cluster.state not in delays:
            return None
        due = track.since + _seconds(delays[cluster.state])
        if due > now:
            return None
        if cluster.state == "STARTING":
            set_cluster_state(cluster, "BOOTSTRAPPING")
        elif cluster.state == "BOOTSTRAPPING":
            self._make_ready(cluster, due)
        else:
            _finish_termination(cluster, due)
        return due

    def _make_ready(self, cluster: Cluster, at: datetime) -> None:
        cluster.ready_datetime = at
        for group in cluster.instance_groups:
            group.ready_date_time = at
        number = next(self._dns_numbers)
        setattr(cluster, MASTER_DNS_ATTR, f"ec2-127-0-{number // 256}-{number % 256}.compute.localhost")
        if _first_step(cluster, "PENDING") is not None:
            set_cluster_state(cluster, "RUNNING")
        else:
            _become_idle(cluster)

    def _advance_steps(
        self, cluster: Cluster, track: _Track, now: datetime, finished: list[tuple[Step, datetime]]
    ) -> datetime | None:
        running = _first_step(cluster, "RUNNING")
        if running is not None:
            if self.step_runner is not None and self.step_runner.runs(running):
                status = self.step_runner.exit_status(running)
                if status is None:
                    return None
                _finish_step(cluster, running, now, failed=status != 0)
                finished.append((running, now))
                return now
            due = (running.start_date_time or track.since) + _seconds(self.timings.step)
            if due > now:
                return None
            _finish_step(cluster, running, due, failed=False)
            finished.append((running, due))
            return due
        pending = _first_step(cluster, "PENDING")
        if pending is not None:
            # Chain onto the previous step; a step added to an idle cluster starts now.
            started = track.since if cluster.state == "RUNNING" else now
            set_step_state(cluster, pending, "RUNNING", started)
            if cluster.state != "RUNNING":
                set_cluster_state(cluster, "RUNNING")
            return started
        if cluster.state == "WAITING" and cluster.keep_job_flow_alive_when_no_steps:
            return self._stop_if_idle_too_long(cluster, track, now)
        _become_idle(cluster)
        return track.since

    def _stop_if_idle_too_long(self, cluster: Cluster, track: _Track, now: datetime) -> datetime | None:
        """Honour the auto-termination policy: WAITING (no step) for its idle timeout ends the cluster."""
        idle_timeout = getattr(cluster, IDLE_TIMEOUT_ATTR, None)
        if not idle_timeout:
            return None
        due = track.since + _seconds(idle_timeout / 3600 * self.timings.hour)
        if due > now:
            return None
        set_cluster_state(
            cluster, "TERMINATING", reason_code="ALL_STEPS_COMPLETED", reason_message=IDLE_REASON_MESSAGE
        )
        return due

    def _notify(self, step: Step, finished_at: datetime) -> None:
        if self._on_step_finished is None:
            return
        try:
            self._on_step_finished(step, finished_at)
        except Exception:
            logger.exception("step hook failed", extra={"step_id": step.id})


def _become_idle(cluster: Cluster) -> None:
    """No step left: wait for more, or shut down unless the cluster is kept alive."""
    if cluster.keep_job_flow_alive_when_no_steps:
        set_cluster_state(cluster, "WAITING")
    else:
        set_cluster_state(cluster, "TERMINATING", reason_code="ALL_STEPS_COMPLETED")


def _finish_step(cluster: Cluster, step: Step, at: datetime, *, failed: bool) -> None:
    if not failed:
        set_step_state(cluster, step, "COMPLETED", at)
        return
    set_step_state(cluster, step, "FAILED", at)
    if step.action_on_failure == "CONTINUE":
        return
    _cancel_unfinished_steps(cluster, at)
    if step.action_on_failure in TERMINATE_ON_FAILURE:
        set_cluster_state(cluster, "TERMINATING", reason_code="STEP_FAILURE")


def _finish_termination(cluster: Cluster, at: datetime) -> None:
    code = getattr(cluster, REASON_CODE_ATTR, None)
    message = getattr(cluster, REASON_MESSAGE_ATTR, None)
    _cancel_unfinished_steps(cluster, at)
    cluster.end_datetime = at
    for group in cluster.instance_groups:
        group.end_date_time = at
    final = "TERMINATED_WITH_ERRORS" if code in ERROR_REASON_CODES else "TERMINATED"
    set_cluster_state(cluster, final, reason_code=code, reason_message=message)


def _cancel_unfinished_steps(cluster: Cluster, at: datetime) -> None:
    for step in cluster.steps:
        if step.state in ("PENDING", "RUNNING"):
            set_step_state(cluster, step, "CANCELLED", at)
