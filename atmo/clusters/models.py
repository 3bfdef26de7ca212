"""Models of the clusters app."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from constance import config as live
from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from atmo.clusters.provisioners import ClusterProvisioner
from atmo.clusters.queries import ClusterQuerySet, EMRReleaseQuerySet
from atmo.lib.emr import instance_count
from atmo.lib.versions import version_sort_key
from atmo.mail import MailClaim
from atmo.models import (
    CreatedByModel,
    EditedAtModel,
    JobFlowModel,
    URLActionModel,
    job_flow_state_field,
)
from atmo.provisioners import AWSError, JobFlowInfo, JobFlowNotFound, describe_aws_failure, is_transient
from atmo.stats.models import Metric

logger = logging.getLogger(__name__)

EMR_RELEASE_HELP = (
    "Different EMR releases ship different versions of Hadoop, Spark and friends. "
    '<a href="https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-release-components.html" '
    'target="_blank" rel="noopener">See what is in each</a>.'
)


#: Why a cluster whose key disappeared before provisioning was never started.
KEY_DELETED_MESSAGE = (
    "The cluster was not started: its SSH key was deleted before it started. "
    "Launch a new cluster with another key."
)


#: EMR's longest auto-termination idle timeout: seven days.
MAX_IDLE_TIMEOUT_HOURS = 168


class Deactivation(StrEnum):
    """What :meth:`Cluster.deactivate` did, so that callers can tell the user the truth."""

    #: The request had not reached EMR; it is withdrawn and the row is terminated.
    WITHDRAWN = "withdrawn"
    #: EMR accepted the termination: the cluster is shutting down.
    TERMINATING = "terminating"
    #: EMR no longer knew the cluster: it was already gone, and the row says so now.
    GONE = "gone"
    #: The request had failed or ended meanwhile: there was nothing to stop.
    ALREADY_OVER = "already-over"

    @property
    def summary(self) -> str:
        return DEACTIVATION_SUMMARIES[self]


DEACTIVATION_SUMMARIES = {
    Deactivation.WITHDRAWN: "request withdrawn before AWS started it",
    Deactivation.TERMINATING: "termination requested",
    Deactivation.GONE: "already gone at AWS, now marked terminated",
    Deactivation.ALREADY_OVER: "already over, nothing to stop",
}


class EMRRelease(EditedAtModel):
    """An EMR release users may launch clusters and jobs with (label ``emr-<version>``)."""

    version = models.CharField(max_length=50, primary_key=True)
    changelog_url = models.TextField(default="", blank=True, help_text="The URL of the release's changelog.")
    help_text = models.TextField(
        default="", blank=True, help_text="Optional help text shown to users choosing a release."
    )
    is_active = models.BooleanField(default=True, help_text="Whether users can choose this release at all.")
    is_experimental = models.BooleanField(
        default=False, help_text="Shown to users with an 'experimental' badge."
    )
    is_deprecated = models.BooleanField(default=False, help_text="Shown to users with a 'deprecated' badge.")
    # Filled from ``version`` by save() and by the queryset's bulk methods
    # (see EMRReleaseQuerySet), so every database sorts releases naturally.
    sort_key = models.CharField(max_length=200, editable=False, db_index=True, default="")

    objects = EMRReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-sort_key"]
        get_latest_by = "created_at"
        verbose_name = "EMR release"
        verbose_name_plural = "EMR releases"

    def __str__(self) -> str:
        return self.version

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, with ``sort_key`` recomputed from ``version``."""
        self.sort_key = version_sort_key(self.version)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "sort_key" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "sort_key"]
        super().save(*args, **kwargs)

    @property
    def badge(self) -> str:
        """``experimental``, ``deprecated`` or "" for a stable release."""
        if self.is_experimental:
            return "experimental"
        if self.is_deprecated:
            return "deprecated"
        return ""

    @property
    def is_stable(self) -> bool:
        return not (self.is_experimental or self.is_deprecated)

    @property
    def changelog_link(self) -> str:
        """The changelog URL when it is a web address, else "": only those become links."""
        url = self.changelog_url.strip()
        return url if url.startswith(("https://", "http://")) else ""


class EMRReleaseModel(models.Model):
    """Abstract base for models launched with an EMR release."""

    emr_release = models.ForeignKey(
        EMRRelease,
        verbose_name="EMR release",
        on_delete=models.PROTECT,
        related_name="created_%(class)ss",
        help_text=EMR_RELEASE_HELP,
    )

    class Meta:
        abstract = True


class Cluster(EMRReleaseModel, CreatedByModel, JobFlowModel, URLActionModel):
    """An on-demand EMR cluster of one user, alive until it expires or is terminated."""

    STATE_FIELD = "most_recent_status"
    provisioner_class = ClusterProvisioner
    metric_prefix = "cluster"
    # A cluster EMR forgot was most likely stopped outside ATMO: it ended, it did not fail.
    GONE_STATE = JobFlowModel.State.TERMINATED
    GONE_MESSAGE = "Terminated: no longer known to EMR (it was deleted outside ATMO, or AWS lost it)."

    # The documented names of the job flow states and reasons, from before they
    # had a home of their own (JobFlowModel.State and JobFlowModel.Reason).
    REQUESTED = JobFlowModel.State.REQUESTED
    STATUS_STARTING = JobFlowModel.State.STARTING
    STATUS_BOOTSTRAPPING = JobFlowModel.State.BOOTSTRAPPING
    STATUS_RUNNING = JobFlowModel.State.RUNNING
    STATUS_WAITING = JobFlowModel.State.WAITING
    STATUS_TERMINATING = JobFlowModel.State.TERMINATING
    STATUS_TERMINATED = JobFlowModel.State.TERMINATED
    STATUS_TERMINATED_WITH_ERRORS = JobFlowModel.State.TERMINATED_WITH_ERRORS
    ACTIVE_STATUS_LIST = tuple(state for state in JobFlowModel.State if state in JobFlowModel.ACTIVE)
    READY_STATUS_LIST = (STATUS_RUNNING, STATUS_WAITING)
    TERMINATED_STATUS_LIST = (STATUS_TERMINATED,)
    FAILED_STATUS_LIST = (STATUS_TERMINATED_WITH_ERRORS,)
    FINAL_STATUS_LIST = TERMINATED_STATUS_LIST + FAILED_STATUS_LIST
    STATE_CHANGE_REASON_INTERNAL_ERROR = JobFlowModel.Reason.INTERNAL_ERROR
    STATE_CHANGE_REASON_VALIDATION_ERROR = JobFlowModel.Reason.VALIDATION_ERROR
    STATE_CHANGE_REASON_INSTANCE_FAILURE = JobFlowModel.Reason.INSTANCE_FAILURE
    STATE_CHANGE_REASON_BOOTSTRAP_FAILURE = JobFlowModel.Reason.BOOTSTRAP_FAILURE
    STATE_CHANGE_REASON_USER_REQUEST = JobFlowModel.Reason.USER_REQUEST
    STATE_CHANGE_REASON_STEP_FAILURE = JobFlowModel.Reason.STEP_FAILURE
    STATE_CHANGE_REASON_ALL_STEPS_COMPLETED = JobFlowModel.Reason.ALL_STEPS_COMPLETED
    FAILED_STATE_CHANGE_REASON_LIST = tuple(
        reason for reason in JobFlowModel.Reason if reason in JobFlowModel.FAILURE_REASONS
    )
    REQUESTED_STATE_CHANGE_REASON_LIST = (STATE_CHANGE_REASON_USER_REQUEST,)
    COMPLETED_STATE_CHANGE_REASON_LIST = (STATE_CHANGE_REASON_ALL_STEPS_COMPLETED,)

    DEFAULT_SIZE = 1
    DEFAULT_LIFETIME = 8

    #: Why ATMO asked EMR to terminate a cluster. EMR itself only ever says
    #: "Terminated by user request", whoever asked.
    TERMINATED_BY_OWNER = "Terminated by its owner."
    TERMINATED_AT_EXPIRY = "Terminated because its lifetime was over."
    TERMINATED_BY_OPERATOR = "Terminated by the operator {operator}."

    identifier = models.CharField(
        max_length=100, help_text="Cluster name, used to non-uniquely identify individual clusters."
    )
    size = models.IntegerField(help_text="Number of computers used in the cluster.")
    lifetime = models.PositiveSmallIntegerField(
        default=DEFAULT_LIFETIME,
        help_text="Lifetime of the cluster after which it's automatically terminated, in hours.",
    )
    lifetime_extension_count = models.PositiveSmallIntegerField(
        default=0, help_text="Number of lifetime extensions."
    )
    ssh_key = models.ForeignKey(
        "keys.SSHKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="launched_clusters",
        help_text="SSH key to use when launching the cluster.",
    )
    expires_at = models.DateTimeField(
        blank=True, null=True, help_text="Date/time that the cluster will expire and be terminated."
    )
    most_recent_status = job_flow_state_field(help_text="The cluster's state, as AWS EMR last reported it.")
    status_message = models.TextField(
        default="", blank=True, help_text="Why the cluster is in its state, as AWS (or ATMO) explained it."
    )
    termination_reason = models.CharField(
        max_length=255,
        default="",
        blank=True,
        help_text="Why ATMO asked EMR to terminate the cluster: its owner, its expiry or an operator.",
    )
    master_address = models.CharField(
        max_length=255, default="", blank=True, help_text="Public address of the master node."
    )
    expiration_mail_sent = models.BooleanField(
        default=False, help_text="Whether the expiration mail for the current expiry was sent."
    )
    expiration_mail_claimed_at = models.DateTimeField(
        blank=True,
        null=True,
        help_text="When a worker began sending the expiration mail (not confirmed yet).",
    )
    idle_timeout = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Hours without a running step after which EMR stops the cluster "
        "(its auto-termination policy); empty for clusters launched without one.",
    )
    idle_stopped_at = models.DateTimeField(
        null=True, blank=True, help_text="When ATMO learnt that EMR stopped the cluster for being idle."
    )
    idle_mail_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the owner was mailed that the idle cluster was stopped."
    )
    idle_mail_claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker began sending the idle-stop mail (not confirmed yet)."
    )

    objects = ClusterQuerySet.as_manager()

    url_prefix = "clusters"
    url_actions = ["detail", "extend", "terminate"]

    class Meta:
        permissions = [("maintain_cluster", "Can maintain cluster")]

    def __str__(self) -> str:
        return self.identifier

    def __repr__(self) -> str:
        return (
            f"<Cluster {self.identifier} of size {self.size} with lifetime {self.lifetime} "
            f"status={self.most_recent_status!r} expires_at={self.expires_at} "
            f"extensions={self.lifetime_extension_count}>"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; a new row starts REQUESTED and expires ``lifetime`` hours from now."""
        if self._state.adding:
            if not self.most_recent_status and not self.jobflow_id:
                self.most_recent_status = self.State.REQUESTED
            if self.expires_at is None:
                self.expires_at = timezone.now() + timedelta(hours=self.lifetime)
        super().save(*args, **kwargs)

    # --- State ---------------------------------------------------------------

    @property
    def is_terminated(self) -> bool:
        return self.most_recent_status == self.State.TERMINATED

    @property
    def is_terminating(self) -> bool:
        return self.most_recent_status == self.State.TERMINATING

    @property
    def is_ready(self) -> bool:
        return self.most_recent_status == self.State.WAITING

    @property
    def is_expiring_soon(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now() + timedelta(hours=1)

    @property
    def is_ended(self) -> bool:
        """Terminated or failed: nothing about it can change any more."""
        return self.most_recent_status in self.FINAL_STATUS_LIST

    @property
    def extended_hours(self) -> int:
        """The hours the extensions added (the expiry beyond creation time plus lifetime)."""
        if not self.lifetime_extension_count or self.expires_at is None:
            return 0
        extra = self.expires_at - self.created_at - timedelta(hours=self.lifetime)
        return max(round(extra.total_seconds() / 3600), 0)

    @property
    def lifetime_display(self) -> str:
        """The lifetime in words: "8 hours, extendable", "8 hours + 4 hours (1 extension)".

        "Extendable" only while the cluster runs, for as many extensions as the owner
        wants (there is no limit); an ended cluster only says what it had.
        """
        text = hours_text(self.lifetime)
        if self.lifetime_extension_count:
            count = self.lifetime_extension_count
            extensions = f"{count} extension{'s' if count != 1 else ''}"
            added = self.extended_hours
            text += f" + {hours_text(added)} ({extensions})" if added else f" ({extensions})"
        if self.is_active and not self.is_terminating:
            text += ", extendable" if not self.lifetime_extension_count else ", extendable again"
        return text

    @property
    def idle_stop_message(self) -> str:
        """The reason the owner reads once EMR stopped the cluster for being idle."""
        hours = self.idle_timeout or 0
        return f"Stopped after {hours} idle hour{'s' if hours != 1 else ''}: no step ran for that long."

    @property
    def instance_count(self) -> int:
        return instance_count(self.size)

    @property
    def provisioner(self) -> ClusterProvisioner:
        return ClusterProvisioner()

    @property
    def timeline(self) -> list[tuple[str, datetime | None, timedelta | None]]:
        """(step, reached at, time it took) for requested, started, ready and finished."""
        points = [
            ("Requested", self.created_at),
            ("Started", self.started_at),
            ("Ready", self.ready_at),
            ("Finished", self.finished_at),
        ]
        result: list[tuple[str, datetime | None, timedelta | None]] = []
        previous: datetime | None = None
        for label, moment in points:
            took = moment - previous if moment and previous else None
            result.append((label, moment, took))
            previous = moment or previous
        return result

    # --- Verbs -----------------------------------------------------------------

    def provision(self) -> None:
        """Ask EMR for the cluster, once; called by the ``provision_cluster`` task.

        Throttling and lost connections propagate (the task retries with backoff);
        any other refusal marks the cluster failed with AWS's explanation. A
        request whose SSH key was deleted meanwhile fails without asking AWS.
        """
        with transaction.atomic():
            # The row lock is held until the job flow id is stored. A second worker
            # waits, then sees the id and stops. A user's "Terminate now" waits too
            # (its UPDATE needs the lock; see _withdraw_request), then finds the id
            # and terminates the cluster at EMR: nothing is left running untracked.
            cluster = Cluster.objects.select_for_update().get(pk=self.pk)
            if cluster.jobflow_id or cluster.most_recent_status != self.State.REQUESTED:
                return
            jobflow_id = cluster._start_at_emr()
            if jobflow_id is not None:
                # Nothing else can have written the row since we locked it, so no
                # condition is needed. SQLite (development only) has no row locks:
                # with its default deferred transactions, a withdrawal during
                # RunJobFlow makes this UPDATE fail with "database is locked";
                # IMMEDIATE transactions make the withdrawal wait, as here.
                Cluster.objects.filter(pk=self.pk).update(
                    jobflow_id=jobflow_id, most_recent_status=self.State.STARTING, modified_at=timezone.now()
                )
                Metric.record("cluster-emr-version", data={"version": cluster.emr_release_id})
        self.refresh_from_db()

    def _start_at_emr(self) -> str | None:
        """RunJobFlow for this request: the job flow id, or None when the row now says why not."""
        if self.ssh_key is None:
            self.mark_failed(KEY_DELETED_MESSAGE)
            return None
        try:
            return self.provisioner.start(
                user_username=self.created_by.username,
                user_email=self.created_by.email,
                identifier=self.identifier,
                emr_release=self.emr_release_id,
                size=self.size,
                public_key=self.ssh_key.key,
                cluster_id=self.pk,
                idle_timeout=self.idle_timeout,
            )
        except AWSError as exc:
            if is_transient(exc):
                raise  # provision_cluster tries again later
            self.mark_failed(str(describe_aws_failure(exc, "The cluster could not be started")))
            return None

    def fields_from(self, info: JobFlowInfo) -> dict[str, Any]:
        """EMR's view, with the master's address and the reason for the state.

        The reason is EMR's own message (a bootstrap or step failure, no capacity…),
        except for a termination ATMO asked for: then it is ATMO's reason, which
        says who asked, where EMR only says "by user request"; and except for an
        idle stop, which says after how many idle hours.
        """
        message = info.state_change_reason_message
        if self.termination_reason and info.state_change_reason_code == self.Reason.USER_REQUEST:
            message = self.termination_reason
        fields = {**super().fields_from(info), "master_address": info.public_dns, "status_message": message}
        if self.stopped_for_idleness(info):
            fields["status_message"] = fields["termination_reason"] = self.idle_stop_message
            fields["idle_stopped_at"] = self.idle_stopped_at or info.end_datetime or timezone.now()
        return fields

    def stopped_for_idleness(self, info: JobFlowInfo) -> bool:
        """Whether EMR ended the cluster by its auto-termination policy.

        ATMO keeps its clusters alive between steps, so the only way EMR ends one
        with "all steps completed" is the idle timeout running out.
        """
        return (
            bool(self.idle_timeout)
            and info.state in (self.State.TERMINATING, self.State.TERMINATED)
            and info.state_change_reason_code == self.Reason.ALL_STEPS_COMPLETED
        )

    def synced(self, previous: dict[str, Any], info: JobFlowInfo) -> None:
        """Count the cluster's first moment of being ready; tell the owner of an idle stop, once."""
        if previous.get("ready_at", False) is None and self.ready_at and not self.finished_at:
            Metric.record("cluster-ready", data=self.metric_data())
        if previous.get("idle_stopped_at", False) is None:
            from atmo.clusters.tasks import send_idle_stop_mail  # the tasks module imports this one

            # celery-types lacks Celery 5.4's delay_on_commit on plain tasks.
            send_idle_stop_mail.delay_on_commit(self.pk)  # type: ignore[attr-defined]

    def idle_stop_mail_claim(self) -> MailClaim:
        """The claim on the mail that tells the owner of an idle stop (see :class:`~atmo.mail.MailClaim`)."""
        return MailClaim(
            Cluster.objects.filter(pk=self.pk),
            pending={"idle_stopped_at__isnull": False, "idle_mail_sent_at__isnull": True},
            sent={"idle_mail_sent_at": timezone.now()},
            lease="idle_mail_claimed_at",
        )

    def metric_data(self) -> dict[str, Any]:
        return {"identifier": self.identifier, **super().metric_data()}

    def note_ending(self, reason_code: str, message: str) -> list[str]:
        self.status_message = message
        return ["status_message"]

    def extend(self, hours: int) -> None:
        """Push the expiry back; the expiration mail is armed again for the new time."""
        Cluster.objects.filter(pk=self.pk).update(
            expires_at=F("expires_at") + timedelta(hours=hours),
            lifetime_extension_count=F("lifetime_extension_count") + 1,
            expiration_mail_sent=False,
            expiration_mail_claimed_at=None,
            modified_at=timezone.now(),
        )
        self.refresh_from_db()
        Metric.record(
            "cluster-extension",
            data={"identifier": self.identifier, "size": self.size, "jobflow_id": self.jobflow_id},
        )

    def deactivate(self, reason: str = TERMINATED_BY_OWNER) -> Deactivation:
        """Terminate the cluster at EMR, or withdraw a request EMR has not seen; says which.

        ``reason`` (one of the ``TERMINATED_*``) is kept, and shown instead of
        EMR's "by user request". Safe against the provisioning task running at the
        same moment: a request is withdrawn only if it still has no job flow id
        when the row is updated, and otherwise the cluster EMR started is
        terminated. Raises :class:`AWSError` when EMR refuses the termination;
        nothing changed then.
        """
        if not self.jobflow_id:
            if self._withdraw_request(reason):
                return Deactivation.WITHDRAWN
            # Provisioning got there first, or the request failed meanwhile.
            self.refresh_from_db()
            if not self.jobflow_id:
                return Deactivation.ALREADY_OVER
        try:
            self.provisioner.stop(self.jobflow_id)
        except JobFlowNotFound:
            self.mark_gone()
            return Deactivation.GONE
        # Stored once EMR accepted: a refused termination must not name a reason.
        self.termination_reason = reason
        self.save(update_fields=["termination_reason"])
        self._record_termination()
        return Deactivation.TERMINATING

    def _withdraw_request(self, reason: str) -> bool:
        """Mark a request EMR has not seen as terminated; False if provisioning claimed it."""
        now = timezone.now()
        changes = {
            "most_recent_status": self.State.TERMINATED,
            "termination_reason": reason,
            "status_message": f"{reason} AWS had not started it yet.",
            "finished_at": now,
            "modified_at": now,
        }
        # An UPDATE with the condition, not save(): on PostgreSQL it waits for the
        # provisioning task's row lock, then re-checks the condition against the
        # row that task committed, so a job flow id stored meanwhile is seen.
        if not Cluster.objects.requested().filter(pk=self.pk).update(**changes):
            return False
        for field, value in changes.items():
            setattr(self, field, value)
        return True

    def _record_termination(self) -> None:
        """Copy EMR's view after it accepted a termination, or note the request ourselves.

        EMR has accepted the termination at this point, so a failing follow-up
        DescribeCluster (throttled, say) must not look like a refusal: the row
        says TERMINATING and the next status sync fills in the rest.
        """
        try:
            self.sync()
        except AWSError as exc:
            logger.warning(
                "cluster termination accepted, state not read back",
                extra={"cluster_id": self.pk, "jobflow_id": self.jobflow_id, "code": exc.code},
            )
            self.most_recent_status = self.State.TERMINATING
            self.status_message = f"{self.termination_reason} Waiting for AWS to confirm it."
            self.save(update_fields=["most_recent_status", "status_message"])

    @classmethod
    def deadline_for_expiration_mails(cls) -> datetime:
        return timezone.now() + timedelta(hours=1)


def hours_text(hours: int) -> str:
    return f"{hours} hour{'s' if hours != 1 else ''}"


def idle_timeout_bounds() -> tuple[int, int]:
    """The shortest and longest idle timeout, in hours, the live settings allow (within EMR's 1-168)."""
    low = min(max(live.CLUSTER_IDLE_TIMEOUT_MIN_HOURS, 1), MAX_IDLE_TIMEOUT_HOURS)
    high = min(max(live.CLUSTER_IDLE_TIMEOUT_MAX_HOURS, low), MAX_IDLE_TIMEOUT_HOURS)
    return low, high


def default_idle_timeout() -> int:
    """The live setting's default idle timeout, brought within the bounds."""
    low, high = idle_timeout_bounds()
    return min(max(live.CLUSTER_IDLE_TIMEOUT_HOURS, low), high)


def max_cluster_size() -> int:
    return settings.AWS_CONFIG["MAX_CLUSTER_SIZE"]
