"""Scheduled Spark jobs, their runs and the alerts of failed runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from atmo import notifications
from atmo.clusters.models import EMRReleaseModel
from atmo.jobs.exceptions import SparkJobNotFound
from atmo.jobs.provisioners import SparkJobProvisioner, results_bucket, run_output_prefix
from atmo.jobs.queries import SparkJobQuerySet, SparkJobRunQuerySet
from atmo.jobs.schedules import SparkJobSchedule
from atmo.lib import parameters as job_parameters
from atmo.lib.emr import seconds_between
from atmo.models import (
    CreatedByModel,
    EditedAtModel,
    JobFlowModel,
    URLActionModel,
    job_flow_state_field,
    url_pattern,
)
from atmo.provisioners import AWSError, JobFlowInfo, JobFlowNotFound, describe_aws_failure, is_transient
from atmo.stats.models import Metric

logger = logging.getLogger(__name__)

DEFAULT_STATUS = ""

#: The fields whose change starts the schedule over from the time of the change.
SCHEDULE_FIELDS = ("start_date", "interval_in_hours", "is_enabled", "expired_date")

#: A run still waiting for its cluster after this long lost its worker on the way.
STALE_REQUEST_AFTER = timedelta(minutes=15)
#: Look for the cluster of a stale run from this long before the run's row, in case
#: AWS's clock is behind ours.
CLOCK_SKEW = timedelta(minutes=5)
#: A job retries a failed run at most this many times.
MAX_RETRIES = 3
#: The run page and the failure mail quote this many lines of the failing cell.
FAILURE_EXCERPT_LINES = 10


class RunNow(StrEnum):
    """What :meth:`SparkJob.run_now` did, for the caller to put into words."""

    #: EMR accepted the run (a manual run: the schedule's slots stay as they are).
    STARTED = "started"
    #: EMR refused: the run is kept, failed, with AWS's reason as its alert.
    REFUSED = "refused"
    #: Another run of the job is under way (or got there first).
    BUSY = "busy"
    #: An operator disabled the job.
    DISABLED = "disabled"
    #: AWS throttled or could not be reached: nothing was started, trying again later may work.
    AWS_UNAVAILABLE = "aws-unavailable"


@dataclass(frozen=True)
class RunNowResult:
    """The outcome of :meth:`SparkJob.run_now`, with the run it made and the AWS error it met."""

    outcome: RunNow
    run: SparkJobRun | None = None
    error: AWSError | None = None


class Deletion(StrEnum):
    """What :meth:`SparkJob.delete_safely` did; all but ``DELETED`` kept the job as it was."""

    DELETED = "deleted"
    #: A run's cluster is being requested: deleting now would leave it running untracked.
    RUN_STARTING = "run-starting"
    #: EMR could not be asked whether a run that lost its worker has a cluster.
    RUN_UNCHECKED = "run-unchecked"
    #: The cluster of the run under way could not be stopped.
    CLUSTER_NOT_STOPPED = "cluster-not-stopped"

    @property
    def what_failed(self) -> str:
        """What kept the job, as a clause for a message ("" once deleted)."""
        return DELETION_FAILURES.get(self, "")


DELETION_FAILURES = {
    Deletion.RUN_STARTING: "a run of the job is starting: its cluster is being requested from AWS",
    Deletion.RUN_UNCHECKED: "the run that was being started could not be looked up at AWS",
    Deletion.CLUSTER_NOT_STOPPED: "the cluster of the current run could not be stopped",
}


@dataclass(frozen=True)
class JobDeletion:
    """The outcome of :meth:`SparkJob.delete_safely`, with the AWS error that kept the job."""

    outcome: Deletion
    error: AWSError | None = None


class SparkJob(EMRReleaseModel, CreatedByModel, EditedAtModel, URLActionModel):
    """A notebook that EMR runs on a fresh cluster every ``interval_in_hours``."""

    INTERVAL_DAILY = 24
    INTERVAL_WEEKLY = INTERVAL_DAILY * 7
    INTERVAL_MONTHLY = INTERVAL_DAILY * 30
    INTERVAL_CHOICES = [
        (INTERVAL_DAILY, "Daily"),
        (INTERVAL_WEEKLY, "Weekly"),
        (INTERVAL_MONTHLY, "Monthly"),
    ]
    RESULT_PRIVATE = "private"
    RESULT_PUBLIC = "public"
    RESULT_VISIBILITY_CHOICES = [(RESULT_PRIVATE, "Private"), (RESULT_PUBLIC, "Public")]

    identifier = models.CharField(
        max_length=100, unique=True, help_text="Job name, used to uniquely identify individual jobs."
    )
    description = models.TextField(default="", help_text="Job description.")
    notebook_s3_key = models.CharField(
        max_length=800, help_text="S3 key of the notebook after uploading it to the Spark code bucket."
    )
    result_visibility = models.CharField(
        max_length=50,
        choices=RESULT_VISIBILITY_CHOICES,
        default=RESULT_PRIVATE,
        help_text="Whether notebook results are uploaded to a public or private bucket.",
    )
    size = models.IntegerField(help_text="Number of computers to use to run the job.")
    interval_in_hours = models.IntegerField(
        choices=INTERVAL_CHOICES,
        default=INTERVAL_DAILY,
        help_text="Interval at which the job should run, in hours.",
    )
    job_timeout = models.IntegerField(help_text="Number of hours before the job times out.")
    start_date = models.DateTimeField(help_text="Date/time that the job should start being scheduled to run.")
    end_date = models.DateTimeField(
        blank=True,
        null=True,
        help_text="Date/time that the job should stop being scheduled to run, null if no end date.",
    )
    expired_date = models.DateTimeField(
        blank=True, null=True, db_index=True, help_text="Date/time that the job was expired."
    )
    is_enabled = models.BooleanField(default=True, help_text="Whether the job should run or not.")
    expired_mail_sent_at = models.DateTimeField(
        blank=True, null=True, help_text="When the owner was mailed that the job expired."
    )
    expired_mail_claimed_at = models.DateTimeField(
        blank=True, null=True, help_text="When a worker began sending the expired mail (not confirmed yet)."
    )
    schedule_from = models.DateTimeField(
        blank=True,
        null=True,
        help_text=(
            "Slots before this time are not run: when the interval or start date last changed, "
            "or the job was enabled again. Null: from the start date."
        ),
    )
    parameters = models.JSONField(
        default=list,
        blank=True,
        help_text='The notebook\'s parameters: a list of {"name", "type", "default"}.',
    )
    retries = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_RETRIES)],
        help_text=f"How many times a failed run is tried again (0 to {MAX_RETRIES}).",
    )
    retry_timeouts = models.BooleanField(
        default=False, help_text="Whether a run that timed out is tried again too."
    )

    objects = SparkJobQuerySet.as_manager()

    class RunStarting(Exception):
        """A run's cluster is being requested right now, so the job cannot be deleted yet."""

    class StaleRunUnchecked(AWSError):
        """EMR could not be asked whether a run that never saved its cluster id has a cluster.

        Raised by :meth:`SparkJob.delete`: the cluster may exist, so deleting the
        job then could leave it running untracked. An :class:`AWSError` with AWS's
        words, so callers that only catch those still keep the job; ``error`` is
        the original one (e.g. :class:`~atmo.provisioners.AWSUnreachable`).
        """

        def __init__(self, error: AWSError) -> None:
            super().__init__(error.message, code=error.code, operation=error.operation)
            self.error = error

    url_prefix = "jobs"
    url_actions = ["delete", "detail", "download", "edit", "run", "zeppelin"]

    class Meta:
        ordering = ["-start_date"]

    def __str__(self) -> str:
        return self.identifier

    def __repr__(self) -> str:
        return f"<SparkJob identifier={self.identifier!r} size={self.size} is_enabled={self.is_enabled}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; a new grid, or a job scheduled again, owes no slot already past (``schedule_from``)."""
        now = timezone.now()
        previous = None
        if self.pk and not self._state.adding:
            previous = type(self).objects.filter(pk=self.pk).values(*SCHEDULE_FIELDS).first()
        # Moving the end date into the future brings an expired job back.
        if self.expired_date and self.end_date and self.end_date > now:
            self.expired_date = None
        if previous is not None and self.schedule_restarts(previous):
            self.schedule_from = now
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "schedule_from"}
        super().save(*args, **kwargs)

    def schedule_restarts(self, previous: dict[str, Any]) -> bool:
        """The grid changed, or the job can run again after it was disabled or expired."""
        return (
            previous["start_date"] != self.start_date
            or previous["interval_in_hours"] != self.interval_in_hours
            or (self.is_enabled and not previous["is_enabled"])
            or (self.expired_date is None and previous["expired_date"] is not None)
        )

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Stop a running cluster, remove the notebook and the schedule, then the row.

        Holds the job's row lock, as :meth:`claim_run` does, so no run is claimed
        meanwhile. Raises :class:`RunStarting` while a run waits for EMR's answer:
        deleting then would leave the cluster that EMR is starting untracked.
        Raises :class:`StaleRunUnchecked` when EMR cannot be asked about such a run
        that looks abandoned, and :class:`~atmo.provisioners.AWSError` when the
        cluster of the run under way cannot be stopped; either way nothing is deleted.
        """
        with transaction.atomic():
            latest = self.lock().latest_run()
            if latest is not None:
                try:
                    latest.give_up_if_stale()
                except AWSError as exc:
                    raise self.StaleRunUnchecked(exc) from exc
                if latest.is_starting:
                    raise self.RunStarting(f"A run of {self.identifier} is starting")
            self.terminate()
            try:
                self.provisioner.remove(self.notebook_s3_key)
            except AWSError:
                # The row goes anyway: a stray object in the code bucket harms no one.
                logger.warning("notebook not removed", extra={"spark_job_id": self.pk})
            return super().delete(*args, **kwargs)

    def delete_safely(self) -> JobDeletion:
        """:meth:`delete`, saying what kept the job instead of raising."""
        try:
            self.delete()
        except self.RunStarting:
            return JobDeletion(Deletion.RUN_STARTING)
        except self.StaleRunUnchecked as exc:
            return JobDeletion(Deletion.RUN_UNCHECKED, exc.error)
        except AWSError as exc:
            return JobDeletion(Deletion.CLUSTER_NOT_STOPPED, exc)
        return JobDeletion(Deletion.DELETED)

    def lock(self) -> SparkJob:
        """The job's row, locked until the end of the transaction (it must be in one).

        Raises :class:`~atmo.jobs.exceptions.SparkJobNotFound` when the job was deleted.
        """
        job = type(self).objects.select_for_update().filter(pk=self.pk).first()
        if job is None:
            raise SparkJobNotFound(f"Spark job {self.pk} does not exist")
        return job

    # --- Collaborators -------------------------------------------------------

    @property
    def provisioner(self) -> SparkJobProvisioner:
        return SparkJobProvisioner()

    @property
    def schedule(self) -> SparkJobSchedule:
        return SparkJobSchedule(self)

    # --- State ---------------------------------------------------------------

    def has_future_end_date(self, now: datetime) -> bool:
        return self.end_date is None or self.end_date >= now

    def latest_slot(self) -> datetime | None:
        """The latest slot a run was made for, None before the first scheduled run.

        Read from the database, unless the job was loaded with
        :meth:`~atmo.jobs.queries.SparkJobQuerySet.with_latest_slot`.
        """
        if hasattr(self, "latest_slot_at"):
            return self.latest_slot_at
        return self.runs.aggregate(latest=models.Max("slot"))["latest"]

    def latest_run(self) -> SparkJobRun | None:
        """The newest run, None before the first.

        Read from the database, unless the job was loaded with
        :meth:`~atmo.jobs.queries.SparkJobQuerySet.with_latest_run`, which fetched
        it for many jobs at once.
        """
        if hasattr(self, "prefetched_latest_runs"):
            return self.prefetched_latest_runs[0] if self.prefetched_latest_runs else None
        return self.runs.order_by("-created_at", "-pk").first()

    @staticmethod
    def _never_ran(run: SparkJobRun | None) -> bool:
        return run is None or run.status == DEFAULT_STATUS or run.scheduled_at is None

    @staticmethod
    def _has_ended(run: SparkJobRun | None) -> bool:
        return run is not None and run.status in JobFlowModel.FINAL

    @property
    def has_never_run(self) -> bool:
        """No run was ever scheduled (no run, or one with no status or scheduled time)."""
        return self._never_ran(self.latest_run())

    @property
    def has_finished(self) -> bool:
        return self._has_ended(self.latest_run())

    @property
    def is_runnable(self) -> bool:
        run = self.latest_run()
        return self._never_ran(run) or self._has_ended(run)

    @property
    def is_due(self) -> bool:
        now = timezone.now()
        return self.start_date <= now and self.has_future_end_date(now)

    @property
    def should_run(self) -> bool:
        """Runnable, enabled and due: a run started now would be a regular one.

        Not used by the tasks, which tell these cases apart to act on each.
        """
        return self.is_runnable and self.is_enabled and self.is_due

    @property
    def has_timed_out(self) -> bool:
        """The current run has been going for longer than ``job_timeout`` hours."""
        run = self.latest_run()
        if run is None or run.scheduled_at is None or run.timed_out_at:
            return False
        if self._never_ran(run) or self._has_ended(run):
            return False
        return timezone.now() >= run.scheduled_at + timedelta(hours=self.job_timeout)

    @property
    def is_public(self) -> bool:
        return self.result_visibility == self.RESULT_PUBLIC

    @property
    def is_active(self) -> bool:
        run = self.latest_run()
        return run is not None and run.status in JobFlowModel.ACTIVE

    @property
    def is_expired(self) -> bool:
        return self.expired_date is not None

    @property
    def notebook_name(self) -> str:
        return self.notebook_s3_key.rsplit("/", 1)[-1]

    @property
    def is_zeppelin(self) -> bool:
        return self.notebook_name.endswith(".json")

    # --- Verbs ---------------------------------------------------------------

    def parameter_values(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The job's parameters with their defaults, or ``overrides`` where given (typed).

        Raises :class:`~atmo.lib.parameters.ParameterError` for an override that is
        not a value of its parameter's type.
        """
        return job_parameters.resolve(self.parameters, overrides or {})

    def claim_run(self, slot: datetime | None = None, **run_fields: Any) -> SparkJobRun | None:
        """Reserve a run of ``slot`` (None: a manual run), or None when another run is
        under way or that attempt at the slot was made already.

        The job's row lock serialises concurrent callers (two schedulers, a retry
        and "Run now"); the run row, committed before any AWS call, keeps every
        later caller out until that run ends. The unique constraint on
        (job, slot, attempt) backs the lock: whatever delivers a slot twice, it
        gets one run. ``run_fields`` go onto the new run (``attempt``,
        ``parameters``, ``requested_by``, ``retry_of``); the parameters default to
        the job's defaults.
        """
        attempt = run_fields.setdefault("attempt", 1)
        try:
            with transaction.atomic():
                job = self.lock()
                latest = job.latest_run()
                if latest is not None:
                    latest.give_up_if_stale()
                taken = slot is not None and job.runs.filter(slot=slot, attempt=attempt).exists()
                if not job.is_runnable or taken:
                    return None
                run_fields.setdefault("parameters", job.parameter_values())
                return job.runs.create(
                    status=JobFlowModel.State.REQUESTED,
                    scheduled_at=timezone.now(),
                    slot=slot,
                    emr_release_version=job.emr_release_id,
                    size=job.size,
                    **run_fields,
                )
        except IntegrityError:
            return None

    def run(
        self, final_attempt: bool = False, slot: datetime | None = None, **run_fields: Any
    ) -> SparkJobRun | None:
        """Start a run of ``slot`` (None: a manual run) unless one is under way; returns the new run.

        A run EMR refuses is kept as failed, with AWS's reason as an alert for the
        owner. When AWS throttles or cannot be reached, the run is dropped and the
        error propagates so the caller can try again later; on the ``final_attempt``
        (a task out of retries) the run is failed instead, saying so. ``run_fields``:
        see :meth:`claim_run`.
        """
        run = self.claim_run(slot, **run_fields)
        if run is None:
            return None
        try:
            jobflow_id = self.provisioner.run(
                user_username=self.created_by.username,
                user_email=self.created_by.email,
                identifier=self.identifier,
                emr_release=self.emr_release_id,
                size=self.size,
                notebook_key=self.notebook_s3_key,
                is_public=self.is_public,
                job_timeout=self.job_timeout,
                run_id=run.pk,
                parameters=run.notebook_parameters(),
            )
        except AWSError as exc:
            if not is_transient(exc):
                failure = describe_aws_failure(exc, "The run could not be started")
                run.mark_failed(str(failure), JobFlowModel.Reason.VALIDATION_ERROR)
            elif final_attempt:
                failure = describe_aws_failure(
                    exc,
                    "The run could not be started however often we tried",
                    advice="The next scheduled run will try again.",
                )
                run.mark_failed(str(failure))
            else:
                run.delete()  # nothing started: free the slot for the retry
                raise
            return run
        self.track(run, jobflow_id)
        Metric.record("sparkjob-emr-version", data={"version": self.emr_release_id})
        return run

    def run_now_refusal(self) -> RunNow | None:
        """Why "Run now" cannot start a run of the job (None when it can).

        A run that looks under way is first brought up to date with EMR: it may
        have ended since the last status sync. When EMR cannot be asked, the
        stored state stands.
        """
        if not self.is_enabled:
            return RunNow.DISABLED
        if not self.is_runnable:
            try:
                self.sync_latest_run()
            except AWSError as exc:
                logger.warning("run state not refreshed", extra={"spark_job_id": self.pk, "code": exc.code})
        return None if self.is_runnable else RunNow.BUSY

    def run_now(self, requested_by: Any = None, parameters: dict[str, Any] | None = None) -> RunNowResult:
        """Start a run out of schedule, for the owner or an operator; the schedule's slots stay as they are.

        Claims and starts the run as the scheduler does (:meth:`run`), for
        ``requested_by`` (a user; the run is then a manual one) with the resolved
        ``parameters`` (default: the job's defaults). Raises
        :class:`~atmo.jobs.exceptions.SparkJobNotFound` when the job was deleted meanwhile.
        """
        refusal = self.run_now_refusal()
        if refusal is not None:
            return RunNowResult(refusal)
        run_fields: dict[str, Any] = {"requested_by": requested_by}
        if parameters is not None:
            run_fields["parameters"] = parameters
        try:
            run = self.run(**run_fields)
        except AWSError as exc:  # refusals are kept as failed runs: only transient errors land here
            return RunNowResult(RunNow.AWS_UNAVAILABLE, error=exc)
        if run is None:
            return RunNowResult(RunNow.BUSY)
        if run.is_failed:
            return RunNowResult(RunNow.REFUSED, run)
        return RunNowResult(RunNow.STARTED, run)

    def retry(self, failed: SparkJobRun) -> SparkJobRun | None:
        """Start the next attempt of the run ``failed``, with its parameters; None when one is under way.

        The attempt is a run of its own, linked to the first attempt
        (``retry_of``). Raises :class:`~atmo.provisioners.AWSError` when AWS throttles
        or cannot be reached (nothing is kept then; the next sweep tries again).
        """
        run_fields: dict[str, Any] = {
            "retry_of_id": failed.retry_of_id or failed.pk,
            "attempt": failed.attempt + 1,
            "parameters": failed.parameters,
            "requested_by_id": failed.requested_by_id,
        }
        return self.run(slot=failed.slot, **run_fields)

    def track(self, run: SparkJobRun, jobflow_id: str) -> None:
        """Record the cluster EMR started for ``run``.

        The run's row may be gone: the job was deleted while EMR was answering (see
        :meth:`delete`). Nothing would ever watch or stop that cluster, so it is
        stopped here, and :class:`~atmo.jobs.exceptions.SparkJobNotFound` raised.
        """
        if run.record_cluster(jobflow_id):
            return
        logger.warning(
            "job deleted while its run started", extra={"spark_job_id": self.pk, "jobflow_id": jobflow_id}
        )
        try:
            self.provisioner.stop(jobflow_id)
        except AWSError:
            logger.error("cluster of a deleted job left running", extra={"jobflow_id": jobflow_id})
        raise SparkJobNotFound(f"Spark job {self.pk} was deleted while its run started")

    def sync_latest_run(self) -> bool:
        """Bring the latest run up to date with EMR; returns whether the job has a run.

        One DescribeCluster for a run under way; a stale request is adopted or given up
        first (see :meth:`SparkJobRun.give_up_if_stale`). A run that has ended is left
        alone: EMR's view of it no longer changes. Raises
        :class:`~atmo.provisioners.AWSError`.
        """
        run = self.latest_run()
        if run is None:
            return False
        if run.is_active:
            with transaction.atomic():
                run.give_up_if_stale()
                run.sync()
        return True

    def terminate(self) -> bool:
        """Stop the cluster of the run under way; returns whether EMR was asked to.

        A cluster EMR no longer knows ends its run instead (failed, with an alert).
        Raises :class:`~atmo.provisioners.AWSError` when EMR refuses or throttles.
        """
        run = self.latest_run()
        if run is None or not run.jobflow_id or run.status in JobFlowModel.FINAL:
            return False
        try:
            self.provisioner.stop(run.jobflow_id)
        except JobFlowNotFound:
            run.mark_gone()
            return False
        return True

    def expire(self) -> bool:
        """Mark a job past its end date expired, which ends its schedule; returns whether it did.

        Only the first caller wins (a filtered update), so the owner is told once.
        """
        now = timezone.now()
        with transaction.atomic():
            claimed = (
                type(self)
                .objects.filter(pk=self.pk, expired_date__isnull=True)
                .update(expired_date=now, modified_at=now)
            )
            if claimed:
                self.expired_date = now
                notifications.emit(notifications.Event.JOB_EXPIRED, self)
        return bool(claimed)


class SparkJobRun(JobFlowModel):
    """One run of a Spark job on its own EMR cluster."""

    STATE_FIELD = "status"
    provisioner_class = SparkJobProvisioner
    metric_prefix = "sparkjob"
    # Nobody knows how a run whose cluster vanished went: it counts as failed, and its owner is told.
    GONE_STATE = JobFlowModel.State.TERMINATED_WITH_ERRORS
    GONE_MESSAGE = "The run's cluster disappeared at AWS."

    spark_job = models.ForeignKey(
        SparkJob, on_delete=models.CASCADE, related_name="runs", related_query_name="runs"
    )
    emr_release_version = models.CharField(max_length=50, blank=True, null=True)
    size = models.IntegerField(blank=True, null=True, help_text="Number of computers used to run the job.")
    status = job_flow_state_field(help_text="The state of the run's cluster, as AWS EMR last reported it.")
    scheduled_at = models.DateTimeField(
        blank=True, null=True, help_text="Date/time that the job was scheduled."
    )
    timed_out_at = models.DateTimeField(
        blank=True, null=True, help_text="When ATMO stopped the run for running past the job's timeout."
    )
    timeout_mail_sent_at = models.DateTimeField(
        blank=True, null=True, help_text="When the owner was mailed that the run timed out."
    )
    timeout_mail_claimed_at = models.DateTimeField(
        blank=True, null=True, help_text="When a worker began sending the timed-out mail (not confirmed yet)."
    )
    slot = models.DateTimeField(
        blank=True,
        null=True,
        help_text="The slot of the job's schedule this run is for; null for a manual run.",
    )
    attempt = models.PositiveSmallIntegerField(
        default=1, help_text="1 for a run, 2 and up for the retries of a failed one."
    )
    retry_of = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        blank=True,
        null=True,
        related_name="retries",
        help_text="The first attempt, when this run retries a failed one.",
    )
    parameters = models.JSONField(
        default=dict, blank=True, help_text="The values of the job's parameters this run got."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="+",
        help_text='Who asked for the run with "Run now"; empty for a scheduled run.',
    )
    outcome = models.JSONField(
        blank=True, null=True, help_text="The run's outcome.json, as read when the run ended."
    )

    objects = SparkJobRunQuerySet.as_manager()

    class Meta:
        get_latest_by = "created_at"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["spark_job", "slot", "attempt"],
                condition=models.Q(slot__isnull=False),
                name="one_run_per_job_slot_attempt",
            )
        ]

    def __str__(self) -> str:
        return self.jobflow_id or f"run {self.pk}"

    def __repr__(self) -> str:
        return (
            f"<SparkJobRun {self.jobflow_id} of {self.spark_job_identifier()} "
            f"emr_release_version={self.emr_release_version} size={self.size}>"
        )

    def spark_job_identifier(self) -> str:
        return self.spark_job.identifier

    def get_absolute_url(self) -> str:
        return url_pattern("jobs-run-detail", "id", "run_id").fill(self.spark_job_id, self.pk)

    # --- Outputs -------------------------------------------------------------

    @property
    def output_prefix(self) -> str:
        return run_output_prefix(self.spark_job.identifier, self.pk)

    @property
    def results_bucket(self) -> str:
        return results_bucket(self.spark_job.is_public)

    @property
    def output_location(self) -> str:
        """The S3 URI of :attr:`output_prefix`, where the notebook may write files of its own."""
        return f"s3://{self.results_bucket}/{self.output_prefix}"

    @property
    def run_date(self) -> datetime:
        """The date the run is for: its scheduled slot, or when it was asked for."""
        return self.slot or self.created_at or timezone.now()

    def notebook_parameters(self) -> dict[str, Any]:
        """The values papermill injects: the job's parameters as this run got them, and ATMO's own.

        ATMO's own are ``run_date`` (ISO date), ``job_identifier``, ``run_id`` and
        ``output_location``; a job cannot declare parameters of those names.
        """
        return {
            **self.parameters,
            "run_date": self.run_date.astimezone(UTC).date().isoformat(),
            "job_identifier": self.spark_job.identifier,
            "run_id": self.pk,
            "output_location": self.output_location,
        }

    def record_outcome(self) -> None:
        """Read the run's ``outcome.json`` from S3 and keep it on the row (None when there is none).

        Done once, when the run ends; an S3 error leaves the outcome unknown rather
        than holding up the status sync.
        """
        try:
            outcome = self.spark_job.provisioner.read_outcome(self.results_bucket, self.output_prefix)
        except AWSError as exc:
            logger.warning("run outcome not read", extra={"run_id": self.pk, "code": exc.code})
            return
        self.outcome = outcome
        SparkJobRun.objects.filter(pk=self.pk).update(outcome=outcome)

    @property
    def outcome_status(self) -> str:
        """``succeeded``, ``failed`` or ``timed_out`` as the runner said; "" when unknown."""
        return str((self.outcome or {}).get("status") or "")

    @property
    def failure(self) -> dict[str, Any] | None:
        """The failing cell and its error, from the outcome (None unless the notebook failed)."""
        failure = (self.outcome or {}).get("failure")
        return failure if isinstance(failure, dict) else None

    @property
    def output_files(self) -> list[str]:
        """The files the notebook wrote under ``output_location``, relative to it."""
        files = (self.outcome or {}).get("files")
        return [name for name in files if isinstance(name, str)] if isinstance(files, list) else []

    @property
    def failing_part(self) -> str:
        """What failed, for a sentence: "cell 3", or "the notebook" when the runner named no cell."""
        index = (self.failure or {}).get("cell_index")
        return f"cell {index}" if isinstance(index, int) else "the notebook"

    @property
    def failure_excerpt(self) -> str:
        """The first :data:`FAILURE_EXCERPT_LINES` lines of the failing cell ("" without a failure)."""
        lines = str((self.failure or {}).get("cell_source") or "").splitlines()
        excerpt = "\n".join(lines[:FAILURE_EXCERPT_LINES])
        return f"{excerpt}\n…" if len(lines) > FAILURE_EXCERPT_LINES else excerpt

    @property
    def notebook_duration(self) -> timedelta | None:
        """How long the notebook ran, as the runner measured it."""
        seconds = (self.outcome or {}).get("duration_seconds")
        return timedelta(seconds=seconds) if isinstance(seconds, int | float) else None

    # --- Kind and retries ----------------------------------------------------

    @property
    def is_manual(self) -> bool:
        """Someone asked for the run with "Run now" (a retry of such a run is manual too)."""
        return self.requested_by_id is not None

    @property
    def timed_out(self) -> bool:
        """ATMO stopped the run for its timeout, or the runner did."""
        return self.timed_out_at is not None or self.outcome_status == "timed_out"

    @property
    def ended_badly(self) -> bool:
        return self.is_failed or self.timed_out

    @property
    def first_attempt_id(self) -> int:
        """The id of the first attempt of this run (its own id unless it is a retry)."""
        return self.retry_of_id or self.pk

    def can_be_retried(self) -> bool:
        """The run ended badly and its job allows another attempt (after a timeout only if it says so)."""
        job = self.spark_job
        if not self.ended_badly or self.attempt > job.retries:
            return False
        return job.retry_timeouts or not self.timed_out

    def awaits_retry(self) -> bool:
        """Another attempt follows or is yet to come: its owner hears of the last attempt only."""
        if not self.can_be_retried():
            return False
        latest = self.spark_job.latest_run()
        # A newer run that is not this run's retry (the next scheduled one) took its turn.
        return latest is not None and latest.first_attempt_id == self.first_attempt_id

    def record_cluster(self, jobflow_id: str) -> bool:
        """Note the cluster EMR started for the run, now STARTING; False when the row is gone."""
        self.jobflow_id = jobflow_id
        self.status = self.State.STARTING
        self.modified_at = timezone.now()
        fields = {"jobflow_id": jobflow_id, "status": self.status, "modified_at": self.modified_at}
        return bool(SparkJobRun.objects.filter(pk=self.pk).update(**fields))

    def past_timeout(self, now: datetime) -> bool:
        """Still under way at ``now``, its job's timeout after it was scheduled, and not stopped for it yet.

        What :attr:`SparkJob.has_timed_out` says of the job's latest run, for this run.
        """
        if self.scheduled_at is None or self.timed_out_at or self.status not in self.ACTIVE:
            return False
        return now >= self.scheduled_at + timedelta(hours=self.spark_job.job_timeout)

    @property
    def run_time(self) -> timedelta | None:
        if self.ready_at and self.finished_at:
            return self.finished_at - self.ready_at
        return None

    @property
    def wait_time(self) -> timedelta | None:
        """From the run being asked for to its cluster being ready; None until it is."""
        return self.ready_at - self.created_at if self.ready_at else None

    @property
    def total_time(self) -> timedelta | None:
        """From the run being asked for to its end; None until it ended."""
        return self.finished_at - self.created_at if self.finished_at else None

    @property
    def elapsed(self) -> timedelta:
        """How long the run ran: as the runner measured it, else from its cluster being ready on."""
        if self.notebook_duration is not None:
            return self.notebook_duration
        start = self.ready_at or self.started_at or self.scheduled_at or self.created_at
        return (self.finished_at or timezone.now()) - start

    def synced(self, previous: dict[str, Any], info: JobFlowInfo) -> None:
        """Keep the outcome of a run that ended; alert the owner of a failed one (once per reason).

        Times a finished run too.
        """
        if "status" in previous and self.status in self.FINAL and self.outcome is None:
            self.record_outcome()
        if "status" in previous and self.is_failed:
            self.alert(info.state_change_reason_code, info.state_change_reason_message)
        if previous.get("finished_at", False) is None and self.ready_at and self.finished_at:
            seconds = seconds_between(self.ready_at, self.finished_at)
            Metric.record("sparkjob-run-time", seconds, data=self.metric_data())

    def metric_data(self) -> dict[str, Any]:
        return {"identifier": self.spark_job.identifier, **super().metric_data()}

    def note_ending(self, reason_code: str, message: str) -> list[str]:
        """Keep the reason as an alert, which its owner is mailed."""
        self.alert(reason_code, message)
        return []

    def alert(self, reason_code: str | None, reason_message: str | None) -> SparkJobRunAlert:
        """The run's alert for this reason, made the first time (one per distinct reason)."""
        alert, created = self.alerts.get_or_create(
            reason_code=reason_code, reason_message=reason_message or ""
        )
        if created and reason_code in self.FAILURE_REASONS:
            # The alert row queues the failure mail; its callers hold the transaction of the run's end.
            notifications.emit(notifications.Event.RUN_FAILED, alert)
        return alert

    def give_up_if_stale(self) -> None:
        """A run requested long ago that never got a cluster id lost its worker: recover it.

        The worker may have stopped after EMR started the cluster but before its id
        was saved. That cluster carries the run's id as a tag: when EMR lists it, the
        run adopts it and the status sync carries on. Only a run without one is
        failed. Raises :class:`~atmo.provisioners.AWSError` when EMR cannot be asked.
        """
        if not self.is_starting or self.created_at >= timezone.now() - STALE_REQUEST_AFTER:
            return
        job = self.spark_job
        jobflow_id = job.provisioner.find_run_cluster(
            user_username=job.created_by.username,
            identifier=job.identifier,
            run_id=self.pk,
            created_after=self.created_at - CLOCK_SKEW,
        )
        if jobflow_id:
            logger.info("stale run adopted its cluster", extra={"run_id": self.pk, "jobflow_id": jobflow_id})
            self.record_cluster(jobflow_id)
            return
        self.mark_failed(
            "The run was never started: the worker starting it stopped. The next run will go ahead."
        )


class SparkJobRunAlert(EditedAtModel):
    """Why a run failed, kept until its owner has been mailed."""

    run = models.ForeignKey(SparkJobRun, on_delete=models.CASCADE, related_name="alerts")
    reason_code = models.CharField(
        max_length=50, blank=True, null=True, help_text="The reason code for the creation of the alert."
    )
    reason_message = models.TextField(
        default="", help_text="The reason message for the creation of the alert."
    )
    mail_sent_date = models.DateTimeField(
        blank=True, null=True, help_text="The datetime the alert email was sent."
    )
    mail_claimed_at = models.DateTimeField(
        blank=True, null=True, help_text="When a worker began sending the alert email (not confirmed yet)."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "reason_code", "reason_message"], name="unique_alert_per_run_reason"
            )
        ]
        indexes = [models.Index(fields=["reason_code", "mail_sent_date"], name="alert_code_mail_idx")]

    def __str__(self) -> str:
        return str(self.pk)

    def __repr__(self) -> str:
        return f"<SparkJobRunAlert {self.pk} {self.reason_code}: {self.reason_message[:50]}>"
