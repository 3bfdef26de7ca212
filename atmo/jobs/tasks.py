"""Celery tasks of the jobs app: runs, status sync, expiry and mails."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from atmo import notifications
from atmo.celery import celery
from atmo.jobs.exceptions import SparkJobNotEnabled, SparkJobNotFound
from atmo.jobs.models import SparkJob, SparkJobRun, SparkJobRunAlert
from atmo.jobs.schedules import SparkJobSchedule
from atmo.mail import send_claimed_mail
from atmo.models import JobFlowModel
from atmo.provisioners import AWSError
from atmo.tasks import RETRIES_OF_A_SCHEDULED_RUN, AWSTask

logger = logging.getLogger(__name__)

#: How long to wait before trying again when the previous run is still going.
STILL_RUNNING_RETRY_SECONDS = 600


def expire_and_notify(spark_job: SparkJob) -> bool:
    """Expire a job past its end date and mail its owner; returns whether this call did.

    Only the first caller expires it (see :meth:`SparkJob.expire`), so the mail goes
    once. When it cannot be sent the expiry is taken back, and the next
    :func:`expire_jobs` sweep tries again.
    """
    if not spark_job.expire():
        return False
    error = send_claimed_mail(
        "jobs/emails/expired", {"spark_job": spark_job}, spark_job.created_by.email, spark_job.unexpire
    )
    return error is None


def notify_timed_out(run: SparkJobRun) -> bool:
    """Mail the owner that the run was stopped for its timeout, once; returns whether this call did.

    :func:`send_run_alert_mails` sends the mails that could not be sent at once.
    """
    claim = SparkJobRun.objects.filter(pk=run.pk)
    if not claim.filter(timeout_mail_sent_at__isnull=True).update(timeout_mail_sent_at=timezone.now()):
        return False
    spark_job = run.spark_job
    error = send_claimed_mail(
        "jobs/emails/timed_out",
        {"spark_job": spark_job, "run": run},
        spark_job.created_by.email,
        partial(claim.update, timeout_mail_sent_at=None),
    )
    return error is None


def stop_timed_out_run(spark_job: SparkJob) -> bool:
    """Stop a run that ran past the job's timeout, then tell the owner, once.

    The run counts as timed out only once EMR has accepted the stop: a refused or
    throttled stop raises :class:`~atmo.provisioners.AWSError` for the caller to
    retry, and the retry still sees a run past its timeout. Returns whether this
    call stopped the run.
    """
    run = spark_job.latest_run()
    if run is None or not spark_job.terminate():
        return False
    with transaction.atomic():
        claimed = SparkJobRun.objects.filter(pk=run.pk, timed_out_at__isnull=True).update(
            timed_out_at=timezone.now()
        )
        if claimed:
            notifications.emit(notifications.Event.RUN_TIMED_OUT, run)
    if claimed:
        notify_timed_out(run)
    return bool(claimed)


class SparkJobRunTask(AWSTask):
    """The steps of ``run_job``, as methods so each can be tested on its own."""

    throws = (SparkJobNotFound, SparkJobNotEnabled)
    max_retries = RETRIES_OF_A_SCHEDULED_RUN
    acks_late = True

    def get_spark_job(self, pk: int) -> SparkJob:
        """The job with its owner and release; raises :class:`SparkJobNotFound` (no retry)."""
        job = SparkJob.objects.select_related("created_by", "emr_release").filter(pk=pk).first()
        if job is None:
            # A job deleted while its entry was due: drop the orphan entry too.
            SparkJobSchedule(SparkJob(pk=pk)).delete()
            raise SparkJobNotFound(f"Spark job {pk} does not exist")
        return job

    def check_enabled(self, spark_job: SparkJob) -> None:
        """Raise :class:`SparkJobNotEnabled` (no retry) for a job an operator disabled."""
        if not spark_job.is_enabled:
            raise SparkJobNotEnabled(f"Spark job {spark_job.identifier} is disabled")

    def provision_run(self, spark_job: SparkJob, first_run: bool = False) -> SparkJobRun | None:
        """Start the job's run; None when another run got there first.

        On the last retry a transient AWS error fails the run instead of raising.
        ``first_run`` says this is the job's first scheduled run (the previous
        release queued it at the start date): the schedule then counts from the
        start date, not from whenever the run got going, so later runs keep to the
        start date's time of day. A first run more than one interval late is not
        moved back, which would make the next run due at once.
        """
        run = spark_job.run(final_attempt=self.is_last_attempt)
        if first_run and run is not None and not run.is_failed:
            start = spark_job.start_date
            if run.scheduled_at and start <= run.scheduled_at < start + spark_job.schedule.run_every:
                transaction.on_commit(spark_job.schedule.count_from_start)
        return run

    # The documented steps that are the model's or this module's own verbs.
    sync_run = staticmethod(SparkJob.sync_latest_run)
    unschedule_and_expire = staticmethod(expire_and_notify)
    terminate_and_notify = staticmethod(stop_timed_out_run)


@celery.task(bind=True, base=SparkJobRunTask)
def run_job(self: SparkJobRunTask, pk: int, first_run: bool = False) -> str:
    """Start the job's next run when it is due and nothing else of it runs.

    Returns what happened: ``started``, ``failed`` (AWS refused, or stayed out of
    reach through every retry; the owner is alerted), ``not-due``, ``expired``,
    ``timed-out`` or ``busy``. ``first_run``: see :meth:`SparkJobRunTask.provision_run`.
    """
    spark_job = self.get_spark_job(pk)
    self.sync_run(spark_job)
    self.check_enabled(spark_job)
    if spark_job.is_runnable:
        if spark_job.is_due:
            run = self.provision_run(spark_job, first_run=first_run)
            if run is None:
                return "busy"
            return "failed" if run.is_failed else "started"
        if not spark_job.has_future_end_date(timezone.now()):
            self.unschedule_and_expire(spark_job)
            return "expired"
        # Before the start date (e.g. it was moved later): nothing to do yet.
        return "not-due"
    if spark_job.has_timed_out:
        self.terminate_and_notify(spark_job)
        return "timed-out"
    # The previous run is still going: look again later instead of skipping a period.
    raise self.retry(countdown=STILL_RUNNING_RETRY_SECONDS)


@celery.task
def expire_jobs() -> list[list[Any]]:
    """Expire the jobs past their end date (the owner is mailed once)."""
    expired = []
    for spark_job in SparkJob.objects.lapsed().select_related("created_by"):
        if expire_and_notify(spark_job):
            logger.info("spark job expired", extra={"spark_job_id": spark_job.pk})
            expired.append([spark_job.identifier, spark_job.pk])
    return expired


@celery.task(base=AWSTask)
def update_jobs_statuses() -> list[list[Any]]:
    """Sync every run under way, then stop the runs past their timeout.

    Stale requests are recovered first (see :meth:`SparkJobRun.give_up_if_stale`);
    the rest come from one ListClusters call per 50 clusters.
    """
    runs = list(SparkJobRun.objects.active().select_related("spark_job__created_by").order_by("created_at"))
    if not runs:
        return []
    for run in runs:
        run.give_up_if_stale()
    updated = sync_listed_runs(runs)
    stop_timed_out_runs(runs)
    return updated


def sync_listed_runs(runs: list[SparkJobRun]) -> list[list[Any]]:
    """Copy EMR's listing onto the runs that have a cluster; returns ``[identifier, run pk]`` pairs.

    A run missing from the listing for longer than :attr:`~atmo.models.JobFlowModel.MISSING_GRACE` is gone.
    """
    listed_runs = [run for run in runs if run.jobflow_id and run.is_active]
    synced = SparkJobRun.sync_from_listing(listed_runs)
    return [[run.spark_job.identifier, run.pk] for run in synced]


def stop_timed_out_runs(runs: list[SparkJobRun]) -> None:
    """Stop each run past its job's timeout (see :func:`stop_timed_out_run`).

    Every run gets its turn; the first AWS error is raised afterwards, so that the
    task retries the ones EMR refused to stop.
    """
    first_error: AWSError | None = None
    for run in runs:
        job = run.spark_job
        if not job.has_timed_out:
            continue
        try:
            stop_timed_out_run(job)
        except AWSError as exc:
            logger.warning("timed-out run not stopped", extra={"spark_job_id": job.pk, "code": exc.code})
            first_error = first_error or exc
    if first_error is not None:
        raise first_error


@celery.task
def send_run_alert_mails() -> list[str]:
    """Mail the owner of every failed run, once per alert, and the timed-out mails not sent yet.

    Returns the identifiers of the jobs mailed about.
    """
    sent = []
    alerts = SparkJobRunAlert.objects.filter(
        reason_code__in=JobFlowModel.FAILURE_REASONS, mail_sent_date__isnull=True
    ).select_related("run__spark_job__created_by")
    for alert in alerts:
        claim = SparkJobRunAlert.objects.filter(pk=alert.pk)
        if not claim.filter(mail_sent_date__isnull=True).update(mail_sent_date=timezone.now()):
            continue
        spark_job = alert.run.spark_job
        context = {"spark_job": spark_job, "run": alert.run, "alert": alert}
        release = partial(claim.update, mail_sent_date=None)
        if send_claimed_mail("jobs/emails/run_failed", context, spark_job.created_by.email, release) is None:
            sent.append(spark_job.identifier)
    for run in SparkJobRun.objects.timeout_mail_pending().select_related("spark_job__created_by"):
        if notify_timed_out(run):
            sent.append(run.spark_job.identifier)
    return sent
