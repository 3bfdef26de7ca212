"""Models of the clusters app."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from atmo.clusters.provisioners import ClusterInfo, ClusterNotFound, ClusterProvisioner
from atmo.clusters.queries import ClusterQuerySet, EMRReleaseQuerySet
from atmo.lib.emr import instance_count, normalized_instance_hours, seconds_between
from atmo.lib.versions import version_sort_key
from atmo.models import CreatedByModel, EditedAtModel, URLActionModel, apply_changes
from atmo.provisioners import AWSError
from atmo.stats.models import Metric

logger = logging.getLogger(__name__)

EMR_RELEASE_HELP = (
    "Different EMR releases ship different versions of Hadoop, Spark and friends. "
    '<a href="https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-release-components.html" '
    'target="_blank" rel="noopener">See what is in each</a>.'
)


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
    # Filled from ``version`` on save, so every database sorts releases naturally.
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


class Cluster(EMRReleaseModel, CreatedByModel, EditedAtModel, URLActionModel):
    """An on-demand EMR cluster of one user, alive until it expires or is terminated."""

    # ATMO's own state between saving the request and EMR accepting it.
    REQUESTED = "REQUESTED"
    # EMR cluster states
    # (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-overview.html#emr-overview-cluster-lifecycle).
    STATUS_STARTING = "STARTING"
    STATUS_BOOTSTRAPPING = "BOOTSTRAPPING"
    STATUS_RUNNING = "RUNNING"
    STATUS_WAITING = "WAITING"
    STATUS_TERMINATING = "TERMINATING"
    STATUS_TERMINATED = "TERMINATED"
    STATUS_TERMINATED_WITH_ERRORS = "TERMINATED_WITH_ERRORS"

    ACTIVE_STATUS_LIST = (
        REQUESTED,
        STATUS_STARTING,
        STATUS_BOOTSTRAPPING,
        STATUS_RUNNING,
        STATUS_WAITING,
        STATUS_TERMINATING,
    )
    READY_STATUS_LIST = (STATUS_RUNNING, STATUS_WAITING)
    TERMINATED_STATUS_LIST = (STATUS_TERMINATED,)
    FAILED_STATUS_LIST = (STATUS_TERMINATED_WITH_ERRORS,)
    FINAL_STATUS_LIST = TERMINATED_STATUS_LIST + FAILED_STATUS_LIST

    # State change reason codes.
    STATE_CHANGE_REASON_INTERNAL_ERROR = "INTERNAL_ERROR"
    STATE_CHANGE_REASON_VALIDATION_ERROR = "VALIDATION_ERROR"
    STATE_CHANGE_REASON_INSTANCE_FAILURE = "INSTANCE_FAILURE"
    STATE_CHANGE_REASON_BOOTSTRAP_FAILURE = "BOOTSTRAP_FAILURE"
    STATE_CHANGE_REASON_USER_REQUEST = "USER_REQUEST"
    STATE_CHANGE_REASON_STEP_FAILURE = "STEP_FAILURE"
    STATE_CHANGE_REASON_ALL_STEPS_COMPLETED = "ALL_STEPS_COMPLETED"
    FAILED_STATE_CHANGE_REASON_LIST = (
        STATE_CHANGE_REASON_INTERNAL_ERROR,
        STATE_CHANGE_REASON_VALIDATION_ERROR,
        STATE_CHANGE_REASON_INSTANCE_FAILURE,
        STATE_CHANGE_REASON_BOOTSTRAP_FAILURE,
        STATE_CHANGE_REASON_STEP_FAILURE,
    )
    REQUESTED_STATE_CHANGE_REASON_LIST = (STATE_CHANGE_REASON_USER_REQUEST,)
    COMPLETED_STATE_CHANGE_REASON_LIST = (STATE_CHANGE_REASON_ALL_STEPS_COMPLETED,)

    DEFAULT_SIZE = 1
    DEFAULT_LIFETIME = 8

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
    started_at = models.DateTimeField(
        blank=True, null=True, help_text="Date/time when the cluster was started on AWS EMR."
    )
    ready_at = models.DateTimeField(
        blank=True, null=True, help_text="Date/time when the cluster was ready to run steps on AWS EMR."
    )
    finished_at = models.DateTimeField(
        blank=True, null=True, help_text="Date/time when the cluster was terminated or failed on AWS EMR."
    )
    jobflow_id = models.CharField(max_length=50, blank=True, null=True)
    most_recent_status = models.CharField(max_length=50, default="", blank=True, db_index=True)
    status_message = models.TextField(
        default="", blank=True, help_text="Why the cluster is in its state, as AWS (or ATMO) explained it."
    )
    master_address = models.CharField(
        max_length=255, default="", blank=True, help_text="Public address of the master node."
    )
    expiration_mail_sent = models.BooleanField(
        default=False, help_text="Whether the expiration mail for the current expiry was sent."
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
        if self._state.adding:
            if not self.most_recent_status and not self.jobflow_id:
                self.most_recent_status = self.REQUESTED
            if self.expires_at is None:
                self.expires_at = timezone.now() + timedelta(hours=self.lifetime)
        super().save(*args, **kwargs)

    # --- State ---------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.most_recent_status in self.ACTIVE_STATUS_LIST

    @property
    def is_terminated(self) -> bool:
        return self.most_recent_status in self.TERMINATED_STATUS_LIST

    @property
    def is_failed(self) -> bool:
        return self.most_recent_status in self.FAILED_STATUS_LIST

    @property
    def is_terminating(self) -> bool:
        return self.most_recent_status == self.STATUS_TERMINATING

    @property
    def is_ready(self) -> bool:
        """Ready for the user: EMR waits for work (its setup steps are done)."""
        return self.most_recent_status == self.STATUS_WAITING

    @property
    def is_expiring_soon(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now() + timedelta(hours=1)

    @property
    def instance_count(self) -> int:
        """Machines EMR runs: size 1 is a lone master, size N a master and N workers."""
        return instance_count(self.size)

    @property
    def provisioner(self) -> ClusterProvisioner:
        return ClusterProvisioner()

    @property
    def info(self) -> ClusterInfo:
        """What EMR says about the cluster now (DescribeCluster)."""
        return self.provisioner.info(self.jobflow_id)

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

        Throttling propagates (the task retries with backoff); any other refusal
        marks the cluster failed with AWS's explanation.
        """
        with transaction.atomic():
            # The row lock makes a second worker wait, then see the job flow id.
            cluster = Cluster.objects.select_for_update().get(pk=self.pk)
            if cluster.jobflow_id or cluster.most_recent_status != self.REQUESTED:
                return
            try:
                jobflow_id = self.provisioner.start(
                    user_username=cluster.created_by.username,
                    user_email=cluster.created_by.email,
                    identifier=cluster.identifier,
                    emr_release=cluster.emr_release_id,
                    size=cluster.size,
                    public_key=cluster.ssh_key.key if cluster.ssh_key else "",
                )
            except AWSError as exc:
                if exc.is_throttling:
                    raise
                cluster.mark_failed(f"AWS refused to start the cluster: {exc.message}")
                return
            cluster.jobflow_id = jobflow_id
            cluster.most_recent_status = self.STATUS_STARTING
            cluster.save(update_fields=["jobflow_id", "most_recent_status"])
            Metric.record("cluster-emr-version", data={"version": cluster.emr_release_id})
        self.refresh_from_db()

    def mark_failed(self, message: str) -> None:
        self.most_recent_status = self.STATUS_TERMINATED_WITH_ERRORS
        self.status_message = message
        self.finished_at = self.finished_at or timezone.now()
        self.save(update_fields=["most_recent_status", "status_message", "finished_at"])

    def mark_gone(self) -> None:
        """EMR no longer knows the cluster: it is over, whatever we last heard."""
        self.most_recent_status = self.STATUS_TERMINATED
        self.status_message = "AWS no longer knows this cluster; it has been terminated."
        self.finished_at = self.finished_at or timezone.now()
        self.save(update_fields=["most_recent_status", "status_message", "finished_at"])

    def sync(self, info: ClusterInfo | None = None) -> bool:
        """Copy EMR's view of the cluster onto the row; returns whether anything changed.

        Records the ready and instance-hour metrics when those moments first appear.
        """
        if info is None:
            info = self.info
        previous = apply_changes(
            self,
            {
                "most_recent_status": info.state,
                "master_address": info.public_dns,
                "started_at": info.creation_datetime,
                "ready_at": info.ready_datetime,
                "finished_at": info.end_datetime,
                "status_message": info.state_change_reason_message,
            },
        )
        if not previous:
            return False
        with transaction.atomic():
            self.save(update_fields=list(previous))
            self._record_metrics(
                newly_ready=previous.get("ready_at", False) is None,
                newly_finished=previous.get("finished_at", False) is None,
            )
        return True

    def _record_metrics(self, newly_ready: bool, newly_finished: bool) -> None:
        data = {"identifier": self.identifier, "size": self.size, "jobflow_id": self.jobflow_id}
        if newly_finished and self.started_at and self.finished_at:
            hours = normalized_instance_hours(self.started_at, self.finished_at, self.size)
            Metric.record("cluster-normalized-instance-hours", hours, data=data)
        if newly_ready and self.started_at and self.ready_at and not self.finished_at:
            Metric.record("cluster-ready", data=data)
            Metric.record("cluster-time-to-ready", seconds_between(self.started_at, self.ready_at), data=data)

    def extend(self, hours: int) -> None:
        """Push the expiry back; the expiration mail is armed again for the new time."""
        Cluster.objects.filter(pk=self.pk).update(
            expires_at=F("expires_at") + timedelta(hours=hours),
            lifetime_extension_count=F("lifetime_extension_count") + 1,
            expiration_mail_sent=False,
            modified_at=timezone.now(),
        )
        self.refresh_from_db()
        Metric.record(
            "cluster-extension",
            data={"identifier": self.identifier, "size": self.size, "jobflow_id": self.jobflow_id},
        )

    def deactivate(self) -> None:
        """Terminate the cluster at EMR and record what EMR says next."""
        if not self.jobflow_id:
            # Never reached EMR: nothing to stop there.
            self.most_recent_status = self.STATUS_TERMINATED
            self.status_message = "Terminated before AWS started it."
            self.finished_at = timezone.now()
            self.save(update_fields=["most_recent_status", "status_message", "finished_at"])
            return
        try:
            self.provisioner.stop(self.jobflow_id)
            self.sync()
        except ClusterNotFound:
            self.mark_gone()

    @classmethod
    def deadline_for_expiration_mails(cls) -> datetime:
        return timezone.now() + timedelta(hours=1)


def max_cluster_size() -> int:
    return int(settings.AWS_CONFIG["MAX_CLUSTER_SIZE"])
