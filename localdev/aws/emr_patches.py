"""Patches to moto's EMR models, and the state setters the patches and the lifecycle share.

moto answers the EMR API from plain Python objects (`moto.emr.models.Cluster`,
`Step`). These patches keep a new cluster STARTING, queue steps as PENDING,
add the reason code and master DNS name that moto leaves out, and make
TerminateJobFlows start TERMINATING instead of ending the cluster on the spot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import moto
from moto.emr.exceptions import ValidationException
from moto.emr.models import Cluster, ElasticMapReduceBackend, Step
from moto.emr.responses import ElasticMapReduceResponse

from localdev.aws.config import PINNED_MOTO_VERSION

logger = logging.getLogger("localdev.aws")

TERMINAL_STATES = frozenset({"TERMINATED", "TERMINATED_WITH_ERRORS"})
# Reason codes after which real EMR reports TERMINATED_WITH_ERRORS.
ERROR_REASON_CODES = frozenset(
    {"STEP_FAILURE", "BOOTSTRAP_FAILURE", "INTERNAL_ERROR", "VALIDATION_ERROR", "INSTANCE_FAILURE"}
)
TERMINATE_ON_FAILURE = frozenset({"TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW"})
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
REASON_CODE_ATTR = "localdev_reason_code"
REASON_MESSAGE_ATTR = "localdev_reason_message"
MASTER_DNS_ATTR = "localdev_master_dns"
#: Seconds of idleness after which the cluster ends (RunJobFlow's AutoTerminationPolicy), if any.
IDLE_TIMEOUT_ATTR = "localdev_idle_timeout"
#: What a cluster ended by its auto-termination policy says (its code is ALL_STEPS_COMPLETED).
IDLE_REASON_MESSAGE = "Cluster was terminated by its auto-termination policy after being idle."

# Serialises the lifecycle thread with the request threads that change EMR
# state (TerminateJobFlows, AddJobFlowSteps, new instance groups); moto itself
# has no such lock.
EMR_LOCK = threading.RLock()


def _add_steps_as_pending(self: Cluster, steps: list[dict[str, Any]]) -> list[Step]:
    """Queue steps as PENDING without touching the cluster state: the lifecycle runs them."""
    with EMR_LOCK:
        added = [Step(state="PENDING", **step) for step in steps]
        self.steps.extend(added)
    return added


def _stay_starting(self: Cluster) -> None:
    """Replaces moto's instant bootstrap, so that a new cluster stays STARTING."""


def _master_public_dns_name(self: Cluster) -> str | None:
    """The name the lifecycle gave the cluster when it became ready (None before)."""
    return getattr(self, MASTER_DNS_ATTR, None)


def _status_with_reason_code(original: property) -> property:
    """Wrap moto's Cluster.status, which has no StateChangeReason.Code, to add ours."""

    def status(self: Cluster) -> dict[str, Any]:
        result: dict[str, Any] = original.fget(self)  # type: ignore[misc]
        code = getattr(self, REASON_CODE_ATTR, None)
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
    with EMR_LOCK:
        clusters = [self.describe_cluster(job_flow_id) for job_flow_id in job_flow_ids]
        if any(cluster.termination_protected for cluster in clusters):
            raise ValidationException(
                "Could not shut down one or more job flows since they are termination protected."
            )
        for cluster in clusters:
            if cluster.state != "TERMINATING" and cluster.state not in TERMINAL_STATES:
                set_cluster_state(cluster, "TERMINATING", reason_code="USER_REQUEST")
    return clusters


def _run_job_flow_with_idle_timeout(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap moto's RunJobFlow handler, which ignores AutoTerminationPolicy, to keep its idle timeout."""

    def run_job_flow(self: ElasticMapReduceResponse) -> Any:
        result = original(self)
        idle_timeout = self._get_int_param("AutoTerminationPolicy.IdleTimeout")
        if idle_timeout:
            cluster = self.backend.clusters[result.result["JobFlowId"]]
            setattr(cluster, IDLE_TIMEOUT_ATTR, idle_timeout)
        return result

    return run_job_flow


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    def locked(*args: Any, **kwargs: Any) -> Any:
        with EMR_LOCK:
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
        (
            ElasticMapReduceResponse,
            "run_job_flow",
            _run_job_flow_with_idle_timeout(ElasticMapReduceResponse.__dict__["run_job_flow"]),
        ),
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


def set_cluster_state(
    cluster: Cluster, state: str, *, reason_code: str | None = None, reason_message: str | None = None
) -> None:
    """Move a cluster (and its instance groups) to ``state``, logging the change.

    ``reason_message`` replaces the usual words for ``reason_code``.
    """
    old = cluster.state
    # Reason first, state last: request threads read these objects without the lock.
    setattr(cluster, REASON_CODE_ATTR, reason_code)
    setattr(cluster, REASON_MESSAGE_ATTR, reason_message)
    cluster.last_state_change_reason = (
        reason_message or _REASON_MESSAGES.get(reason_code or "") or _STATE_MESSAGES.get(state)
    )
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
