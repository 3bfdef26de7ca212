"""Local AWS for development: S3 and an EMR whose clusters live, on one port.

`make run` starts it as the "local AWS" process::

    python -m atmo.localdev.aws [--host 127.0.0.1] [--port 4566] [--speed 1.0]

and gives the other processes ``AWS_ENDPOINT_URL=http://127.0.0.1:4566``.
boto3 reads that variable on its own, so nothing in the application knows it
is talking to an emulator.

What runs here
    moto in server mode (one HTTP endpoint for all services), the buckets ATMO
    uses (names from the same environment variables as the Django settings),
    and the Spark/EMR bucket seeded with what the provisioners point EMR at:
    the shared ``configuration/configuration.json`` and placeholder bootstrap
    and step scripts.

Why more than plain moto
    moto's EMR clusters never move: a new cluster is WAITING (or TERMINATED)
    at once, its first step stays RUNNING for ever, and TerminateJobFlows ends
    a cluster on the spot. ATMO's status sync, expiry mails and job history
    only get exercised when clusters change state over time, so this module
    patches a few of moto's EMR methods in-process and runs `EMRLifecycle` in a
    background thread, which moves each cluster and its steps on a clock::

        STARTING --3s--> BOOTSTRAPPING --5s--> RUNNING (3s per step) / WAITING
            --> TERMINATING --3s--> TERMINATED or TERMINATED_WITH_ERRORS

    ``--speed`` multiplies every delay: 0.1 runs ten times faster.

Local conventions
    * A step whose Args carry ``--job-name``, ``--notebook s3://...`` and
      ``--data-bucket`` (what the Spark job provisioner sends) "runs the
      notebook": when it completes, the notebook is copied to
      ``<data-bucket>/<job>/data/<stamp>/<file>`` and a log is written to
      ``<data-bucket>/<job>/logs/<stamp>/<job>.log``, as the real batch script
      leaves them.
    * A step fails when one of its Args is ``--fail`` or its script or notebook
      file name contains "fail"; with ActionOnFailure TERMINATE_CLUSTER (or
      TERMINATE_JOB_FLOW) the cluster then ends TERMINATED_WITH_ERRORS,
      reason STEP_FAILURE.

Known differences from real AWS
    * Nothing runs: no EC2 instance, Spark, Jupyter or Zeppelin. Master DNS
      names (``ec2-127-0-X-Y.compute.localhost``) are unique per cluster but
      nothing answers on them. Bootstrap scripts are not run, LogUri gets no
      logs, failed steps carry no FailureDetails.
    * In server mode moto cannot tell the region from the endpoint URL, so
      every EMR call lands in its us-east-1 backend (ARNs and availability
      zones say us-east-1); S3 honours the bucket's LocationConstraint.
    * DescribeCluster (moto) and TerminateJobFlows (patched here) answer an
      unknown cluster id with AWS's InvalidRequestException; other EMR calls
      given one (ListSteps, AddJobFlowSteps, ...) still fail with moto's HTTP 500.
    * AddJobFlowSteps is accepted even on a terminated cluster (its steps stay
      PENDING), where AWS would refuse it.
    * Credentials, IAM, quotas and throttling are not checked; all state is in
      memory and goes when the process stops.
    * The patches reach into moto's EMR model classes and are written against
      moto 5.2.5 (a warning is logged for any other version).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any, ClassVar, Self

import boto3
import moto
from moto.core.utils import utcnow
from moto.emr.exceptions import ValidationException
from moto.emr.models import Cluster, ElasticMapReduceBackend, Step, emr_backends
from moto.server import ThreadedMotoServer

logger = logging.getLogger(__name__)

PINNED_MOTO_VERSION = "5.2.5"
DEFAULT_REGION = "us-west-2"
DUMMY_CREDENTIALS = {"aws_access_key_id": "localdev", "aws_secret_access_key": "localdev"}

TERMINAL_STATES = frozenset({"TERMINATED", "TERMINATED_WITH_ERRORS"})
# Reason codes after which real EMR reports TERMINATED_WITH_ERRORS.
ERROR_REASON_CODES = frozenset(
    {"STEP_FAILURE", "BOOTSTRAP_FAILURE", "INTERNAL_ERROR", "VALIDATION_ERROR", "INSTANCE_FAILURE"}
)
TERMINATE_ON_FAILURE = frozenset({"TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW"})
RESULT_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"

_STATE_MESSAGES = {
    "STARTING": "Provisioning instances",
    "BOOTSTRAPPING": "Running bootstrap actions",
    "RUNNING": "Running step",
    "WAITING": "Cluster ready to run steps.",
}
_REASON_MESSAGES = {
    "USER_REQUEST": "Terminated by user request",
    "ALL_STEPS_COMPLETED": "Steps completed",
    "STEP_FAILURE": "Shut down as step failed",
}
_INSTANCE_GROUP_STATES = {
    "STARTING": "PROVISIONING",
    "BOOTSTRAPPING": "BOOTSTRAPPING",
    "RUNNING": "RUNNING",
    "WAITING": "RUNNING",
    "TERMINATING": "TERMINATING",
    "TERMINATED": "TERMINATED",
    "TERMINATED_WITH_ERRORS": "TERMINATED",
}

# Our extra per-cluster data, stored on moto's own Cluster objects so that the
# patched properties can serve it.
_REASON_CODE_ATTR = "localdev_reason_code"
_MASTER_DNS_ATTR = "localdev_master_dns"

# Serialises the lifecycle thread with the request threads that change EMR
# state (TerminateJobFlows, AddJobFlowSteps, new instance groups); moto itself
# has no such lock.
_EMR_LOCK = threading.RLock()


# --- configuration -----------------------------------------------------------


@dataclass(frozen=True)
class Buckets:
    """The S3 buckets ATMO uses; the Django settings read the same variables and defaults."""

    code: str = "atmo-code"
    public_data: str = "atmo-public-data"
    private_data: str = "atmo-private-data"
    log: str = "atmo-logs"
    spark_emr: str = "atmo-spark-emr"

    ENV_VARS: ClassVar[dict[str, str]] = {
        "code": "AWS_CODE_BUCKET",
        "public_data": "AWS_PUBLIC_DATA_BUCKET",
        "private_data": "AWS_PRIVATE_DATA_BUCKET",
        "log": "AWS_LOG_BUCKET",
        "spark_emr": "AWS_SPARK_EMR_BUCKET",
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Buckets:
        """Bucket names from ``AWS_*_BUCKET``; an unset or empty variable keeps the default."""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(**{attr: env.get(var) or getattr(defaults, attr) for attr, var in cls.ENV_VARS.items()})

    def names(self) -> tuple[str, ...]:
        return tuple(getattr(self, attr) for attr in self.ENV_VARS)


def region_from_env(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


@dataclass(frozen=True)
class Timings:
    """Seconds each phase lasts; the defaults are the speed-1 values."""

    starting: float = 3.0  # STARTING -> BOOTSTRAPPING
    bootstrapping: float = 5.0  # BOOTSTRAPPING -> RUNNING/WAITING, so ready ~8 s after creation
    step: float = 3.0  # one step RUNNING -> COMPLETED
    terminating: float = 3.0  # TERMINATING -> TERMINATED

    def scaled(self, speed: float) -> Timings:
        """These timings multiplied by ``speed`` (> 0; 0.1 is ten times faster)."""
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        return Timings(*(getattr(self, f.name) * speed for f in fields(self)))


# --- seed data ---------------------------------------------------------------


def _placeholder_script(purpose: str) -> bytes:
    return (
        "#!/bin/bash\n"
        f"# Local stand-in for the {purpose}.\n"
        "# The local AWS emulator (atmo.localdev.aws) never runs it: it only has to exist\n"
        "# because the provisioners pass its S3 URI to EMR.\n"
        "exit 0\n"
    ).encode()


SPARK_EMR_SEED: dict[str, bytes] = {
    "configuration/configuration.json": json.dumps(
        [{"Classification": "spark", "Properties": {"maximizeResourceAllocation": "true"}}],
        indent=2,
    ).encode(),
    "bootstrap/telemetry.sh": _placeholder_script("cluster bootstrap action"),
    "steps/zeppelin/zeppelin.sh": _placeholder_script("Zeppelin set-up step"),
    "steps/batch.sh": _placeholder_script("batch script that runs a scheduled job's notebook"),
}


def create_buckets(s3: Any, buckets: Buckets, region: str) -> None:
    """Create every bucket in ``region``; buckets that already exist are kept."""
    # Outside us-east-1, S3 (and moto) insist on an explicit LocationConstraint.
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    for name in buckets.names():
        with suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=name, **location)


def seed_spark_emr_bucket(s3: Any, bucket: str) -> None:
    """Put the configuration JSON and placeholder scripts the provisioners refer to."""
    for key, body in SPARK_EMR_SEED.items():
        is_json = key.endswith(".json")
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType="application/json" if is_json else "text/x-shellscript",
            # The configuration is fetched by a plain HTTP GET, as from the real public bucket.
            ACL="public-read" if is_json else "private",
        )


# --- patches to moto's EMR models ----------------------------------------------


def _add_steps_as_pending(self: Cluster, steps: list[dict[str, Any]]) -> list[Step]:
    """Queue steps as PENDING without touching the cluster state: the lifecycle runs them."""
    with _EMR_LOCK:
        added = [Step(state="PENDING", **step) for step in steps]
        self.steps.extend(added)
    return added


def _stay_starting(self: Cluster) -> None:
    """Replaces moto's instant bootstrap, so that a new cluster stays STARTING."""


def _master_public_dns_name(self: Cluster) -> str | None:
    """The name the lifecycle gave the cluster when it became ready (None before)."""
    return getattr(self, _MASTER_DNS_ATTR, None)


def _status_with_reason_code(original: property) -> property:
    """Wrap moto's Cluster.status, which has no StateChangeReason.Code, to add ours."""

    def status(self: Cluster) -> dict[str, Any]:
        result: dict[str, Any] = original.fget(self)  # type: ignore[misc]
        code = getattr(self, _REASON_CODE_ATTR, None)
        if code:
            result["StateChangeReason"]["Code"] = code
        return result

    return property(status)


def _terminate_job_flows(self: ElasticMapReduceBackend, job_flow_ids: list[str]) -> list[Cluster]:
    """TerminateJobFlows as AWS does it: validate every id, then start TERMINATING.

    Unknown ids raise moto's InvalidCluster (InvalidRequestException, HTTP 400),
    protected clusters a ValidationException; clusters already terminating or
    terminated are left alone. The lifecycle finishes the termination later.
    """
    with _EMR_LOCK:
        clusters = [self.describe_cluster(job_flow_id) for job_flow_id in job_flow_ids]
        if any(cluster.termination_protected for cluster in clusters):
            raise ValidationException(
                "Could not shut down one or more job flows since they are termination protected."
            )
        for cluster in clusters:
            if cluster.state != "TERMINATING" and cluster.state not in TERMINAL_STATES:
                set_cluster_state(cluster, "TERMINATING", reason_code="USER_REQUEST")
    return clusters


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` run under the EMR lock."""

    def locked(*args: Any, **kwargs: Any) -> Any:
        with _EMR_LOCK:
            return method(*args, **kwargs)

    return locked


def _replacements() -> list[tuple[type, str, Any]]:
    return [
        # A tick iterates the backend's instance groups; a RunJobFlow adding some
        # at the same moment would break that iteration.
        (
            ElasticMapReduceBackend,
            "add_instance_groups",
            _locked(ElasticMapReduceBackend.__dict__["add_instance_groups"]),
        ),
        (Cluster, "add_steps", _add_steps_as_pending),
        (Cluster, "run_bootstrap_actions", _stay_starting),
        (Cluster, "master_public_dns_name", property(_master_public_dns_name)),
        (Cluster, "status", _status_with_reason_code(Cluster.__dict__["status"])),
        (ElasticMapReduceBackend, "terminate_job_flows", _terminate_job_flows),
    ]


class _PatchSet:
    """Reference-counted install of the replacements: a test may nest it inside a running server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._originals: list[tuple[type, str, Any]] = []

    def install(self) -> None:
        with self._lock:
            self._depth += 1
            if self._depth > 1:
                return
            if moto.__version__ != PINNED_MOTO_VERSION:
                logger.warning(
                    "moto %s is installed; the EMR patches were written for %s",
                    moto.__version__,
                    PINNED_MOTO_VERSION,
                )
            for owner, name, value in _replacements():
                self._originals.append((owner, name, owner.__dict__[name]))
                setattr(owner, name, value)

    def uninstall(self) -> None:
        with self._lock:
            self._depth = max(0, self._depth - 1)
            if self._depth:
                return
            for owner, name, original in reversed(self._originals):
                setattr(owner, name, original)
            self._originals.clear()


_PATCHES = _PatchSet()
install_emr_patches = _PATCHES.install
uninstall_emr_patches = _PATCHES.uninstall


@contextmanager
def patched_emr() -> Iterator[None]:
    """moto's EMR models with the lifecycle patches, for the duration of the block."""
    install_emr_patches()
    try:
        yield
    finally:
        uninstall_emr_patches()


# --- state changes -------------------------------------------------------------


def set_cluster_state(cluster: Cluster, state: str, *, reason_code: str | None = None) -> None:
    """Move a cluster (and its instance groups) to ``state``, logging the change."""
    old = cluster.state
    # Reason first, state last: request threads read these objects without the lock.
    setattr(cluster, _REASON_CODE_ATTR, reason_code)
    cluster.last_state_change_reason = _REASON_MESSAGES.get(reason_code or "") or _STATE_MESSAGES.get(state)
    for group in cluster.instance_groups:
        group.state = _INSTANCE_GROUP_STATES[state]
    cluster.state = state
    logger.info("%s: %s -> %s", cluster.id, old, state, extra={"cluster_id": cluster.id, "state": state})


def set_step_state(cluster: Cluster, step: Step, state: str, at: datetime) -> None:
    """Move a step to ``state`` at time ``at`` (its start or end time), logging the change."""
    old = step.state
    if state == "RUNNING":
        step.start_date_time = at
    else:
        step.end_date_time = at
    step.state = state
    logger.info(
        "%s/%s: %s -> %s",
        cluster.id,
        step.id,
        old,
        state,
        extra={"cluster_id": cluster.id, "step_id": step.id, "state": state},
    )


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


# --- the lifecycle -------------------------------------------------------------

StepHook = Callable[[Step, datetime], None]


@dataclass
class _Track:
    """What the lifecycle knows about a cluster: the state it last saw and since when."""

    state: str | None
    since: datetime


class EMRLifecycle:
    """Moves moto's EMR clusters and their steps through their states on a clock.

    `tick(now)` is the whole behaviour and depends only on ``now`` and the
    clusters' state, so tests drive it with fake times; `run()` calls it in a
    loop for the server. Each transition is dated when it was due, not when a
    tick noticed it, so the timeline does not depend on the tick interval.
    ``on_step_finished(step, finished_at)`` is called, outside the lock, for
    every step that completes or fails; its errors are logged and ignored.
    """

    MAX_TRANSITIONS_PER_TICK = 100

    def __init__(
        self,
        timings: Timings | None = None,
        *,
        clusters: Callable[[], Iterable[Cluster]] = iter_emr_clusters,
        on_step_finished: StepHook | None = None,
    ) -> None:
        self.timings = timings or Timings()
        self._clusters = clusters
        self._on_step_finished = on_step_finished
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
        with _EMR_LOCK:
            clusters = list(self._clusters())
            self._forget_all_but({cluster.id for cluster in clusters})
            for cluster in clusters:
                self._advance(cluster, now, finished)
        # Outside the lock: the hook talks to S3 over HTTP, through this same server.
        for step, finished_at in finished:
            self._notify(step, finished_at)

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
                return
            track.state, track.since = cluster.state, at

    def _adopt(self, cluster: Cluster, now: datetime) -> _Track:
        """Start tracking a cluster; a new one is reset to how a real one starts."""
        if cluster.state == "STARTING":
            # moto stamps the first step as started at creation and the groups as ready.
            for step in cluster.steps:
                step.start_date_time = None
            for group in cluster.instance_groups:
                group.state, group.ready_date_time = "PROVISIONING", None
        return _Track(state=cluster.state, since=now)

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
        setattr(cluster, _MASTER_DNS_ATTR, f"ec2-127-0-{number // 256}-{number % 256}.compute.localhost")
        if _first_step(cluster, "PENDING") is not None:
            set_cluster_state(cluster, "RUNNING")
        else:
            _become_idle(cluster)

    def _advance_steps(
        self, cluster: Cluster, track: _Track, now: datetime, finished: list[tuple[Step, datetime]]
    ) -> datetime | None:
        running = _first_step(cluster, "RUNNING")
        if running is not None:
            due = (running.start_date_time or track.since) + _seconds(self.timings.step)
            if due > now:
                return None
            _finish_step(cluster, running, due)
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
            return None
        _become_idle(cluster)
        return track.since

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


def _finish_step(cluster: Cluster, step: Step, at: datetime) -> None:
    if not step_should_fail(step.args):
        set_step_state(cluster, step, "COMPLETED", at)
        return
    set_step_state(cluster, step, "FAILED", at)
    if step.action_on_failure == "CONTINUE":
        return
    _cancel_unfinished_steps(cluster, at)
    if step.action_on_failure in TERMINATE_ON_FAILURE:
        set_cluster_state(cluster, "TERMINATING", reason_code="STEP_FAILURE")


def _finish_termination(cluster: Cluster, at: datetime) -> None:
    code = getattr(cluster, _REASON_CODE_ATTR, None)
    _cancel_unfinished_steps(cluster, at)
    cluster.end_datetime = at
    for group in cluster.instance_groups:
        group.end_date_time = at
    final = "TERMINATED_WITH_ERRORS" if code in ERROR_REASON_CODES else "TERMINATED"
    set_cluster_state(cluster, final, reason_code=code)


def _cancel_unfinished_steps(cluster: Cluster, at: datetime) -> None:
    for step in cluster.steps:
        if step.state in ("PENDING", "RUNNING"):
            set_step_state(cluster, step, "CANCELLED", at)


# --- steps that run jobs ---------------------------------------------------------


@dataclass(frozen=True)
class JobStepArgs:
    """The parts of a job step's Args that say where its notebook and results live."""

    job_name: str
    notebook_bucket: str
    notebook_key: str
    data_bucket: str


def _options(args: Sequence[str]) -> dict[str, str]:
    """``--flag value`` pairs of an argument list (a flag's value is simply the next item)."""
    return {flag: value for flag, value in itertools.pairwise(args) if flag.startswith("--")}


def parse_job_step_args(args: Sequence[str]) -> JobStepArgs | None:
    """The job described by a step's Args, or None when they do not name a job and an S3 notebook."""
    options = _options(args)
    notebook = options.get("--notebook", "")
    bucket, _, key = notebook.removeprefix("s3://").partition("/")
    if not (
        notebook.startswith("s3://") and key and options.get("--job-name") and options.get("--data-bucket")
    ):
        return None
    return JobStepArgs(options["--job-name"], bucket, key, options["--data-bucket"])


def step_should_fail(args: Sequence[str]) -> bool:
    """The local convention for failing steps: ``--fail``, or "fail" in the script or notebook file name."""
    if "--fail" in args:
        return True
    paths = [*args[:1], _options(args).get("--notebook", "")]
    return any("fail" in PurePosixPath(path).name.lower() for path in paths)


def publish_job_results(s3: Any, args: Sequence[str], finished_at: datetime, *, succeeded: bool) -> list[str]:
    """Leave in S3 what the production batch script leaves for a finished job step.

    On success the notebook is copied to ``<job>/data/<stamp>/<file name>``; a
    log goes to ``<job>/logs/<stamp>/<job>.log`` either way, both in the job's
    data bucket. Returns the keys written (none when ``args`` name no job).
    """
    job = parse_job_step_args(args)
    if job is None:
        return []
    stamp = finished_at.strftime(RESULT_STAMP_FORMAT)
    keys = []
    if succeeded:
        data_key = f"{job.job_name}/data/{stamp}/{PurePosixPath(job.notebook_key).name}"
        source = {"Bucket": job.notebook_bucket, "Key": job.notebook_key}
        s3.copy_object(Bucket=job.data_bucket, Key=data_key, CopySource=source)
        keys.append(data_key)
    log_key = f"{job.job_name}/logs/{stamp}/{job.job_name}.log"
    outcome = "succeeded" if succeeded else "failed"
    log_text = (
        f"{finished_at.isoformat()}Z job {job.job_name} {outcome}\n"
        f"notebook: s3://{job.notebook_bucket}/{job.notebook_key}\n"
        "(written by the local AWS emulator: no notebook was actually run)\n"
    )
    s3.put_object(Bucket=job.data_bucket, Key=log_key, Body=log_text.encode(), ContentType="text/plain")
    keys.append(log_key)
    return keys


# --- the process -----------------------------------------------------------------


def _ensure_port_free(host: str, port: int) -> None:
    """Fail fast: moto's server thread would die on a busy port and leave start() waiting for ever."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


class LocalAWS:
    """The local-AWS process: moto server, buckets, seed objects and the EMR lifecycle thread.

    Use as a context manager, or call start() and stop(). ``port=0`` picks a
    free port (see `endpoint_url`). The EMR patches are installed for as long
    as it runs.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4566,
        *,
        speed: float = 1.0,
        buckets: Buckets | None = None,
        region: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.buckets = buckets or Buckets.from_env()
        self.region = region or region_from_env()
        self.lifecycle = EMRLifecycle(Timings().scaled(speed), on_step_finished=self._publish_job_results)
        # Ticks often enough that no phase is missed even at high speed.
        self.tick_interval = max(0.02, min(0.5, 0.5 * speed))
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._s3: Any = None

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def client(self, service: str) -> Any:
        """A boto3 client for this emulator, with dummy credentials (never the user's real ones)."""
        return boto3.client(
            service, endpoint_url=self.endpoint_url, region_name=self.region, **DUMMY_CREDENTIALS
        )

    def start(self) -> None:
        _ensure_port_free(self.host, self.port)
        install_emr_patches()
        self._server.start()
        self._s3 = self.client("s3")
        create_buckets(self._s3, self.buckets, self.region)
        seed_spark_emr_bucket(self._s3, self.buckets.spark_emr)
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.lifecycle.run,
            args=(self._stop, self.tick_interval),
            name="emr-lifecycle",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._server.stop()
        uninstall_emr_patches()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _publish_job_results(self, step: Step, finished_at: datetime) -> None:
        keys = publish_job_results(self._s3, step.args, finished_at, succeeded=step.state == "COMPLETED")
        for key in keys:
            logger.info("%s: wrote %s", step.id, key, extra={"step_id": step.id, "key": key})


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m atmo.localdev.aws",
        description="Local S3 + EMR (moto) whose clusters move through their states over time.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--speed", type=_positive_float, default=1.0, help="delay factor; 0.1 is 10x faster")
    parser.add_argument("--verbose", action="store_true", help="also log every HTTP request")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run until SIGINT or SIGTERM, then stop cleanly; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s local-aws %(message)s")
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    aws = LocalAWS(args.host, args.port, speed=args.speed)
    try:
        aws.start()
    except OSError as exc:
        logger.error("%s", exc)
        return 1
    try:
        logger.info("ready at %s (speed %s, region %s)", aws.endpoint_url, args.speed, aws.region)
        logger.info("buckets: %s", ", ".join(aws.buckets.names()))
        # A timed wait keeps the main thread responsive to signals.
        while not stop.wait(1.0):
            pass
        logger.info("stopping")
    finally:
        aws.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
