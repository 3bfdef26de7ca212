"""Celery tasks of the jobs app: runs, status sync, expiry and mails."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from atmo import notifications
from atmo.celery import celery
from atmo.costs.budgets import scheduled_runs_stopped
from atmo.jobs.exceptions import SparkJobNotEnabled, SparkJobNotFound
from atmo.jobs.models import SparkJob, SparkJobRun, SparkJobRunAlert
from atmo.mail import MailClaim, send_claimed_mail
from atmo.models import JobFlowModel
from atmo.provisioners import AWSError
from atmo.tasks import RETRIES_OF_A_SCHEDULED_RUN, AWSTask

logger = logging.getLogger(__name__)

#: The retry sweep starts at most this many attempts each time.
RETRY_BATCH = 50


def expire_and_notify(spark_job: SparkJob) -> bool:
    """Expire a job past its end date and mail its owner; returns whether this call expired it.

    Only the first caller expires it (see :meth:`SparkJob.expire`); the mail is
    claimed on its own (:func:`notify_expired`), so a mail that could not be sent,
    or whose worker died, is sent by a later :func:`expire_jobs` sweep.
    """
    expired = spark_job.expire()
    if expired:
        notify_expired(spark_job)
    return expired


def notify_expired(spark_job: SparkJob) -> bool:
    """Mail the owner that the job expired, once; returns whether this call did."""
    claim = MailClaim(
        SparkJob.objects.filter(pk=spark_job.pk),
        pending={"expired_date__isnull": False, "expired_mail_sent_at__isnull": True},
        sent={"expired_mail_sent_at": timezone.now()},
        lease="expired_mail_claimed_at",
    )
    if not claim.take():
        return False
    context = {"spark_job": spark_job}
    return send_claimed_mail("jobs/emails/expired", context, spark_job.created_by.email, claim) is None


def notify_timed_out(run: SparkJobRun) -> bool:
    """Mail the owner that the run was stopped for its timeout, once; returns whether this call did.

    :func:`send_run_alert_mails` sends the mails that could not be sent at once.
    """
    if run.awaits_retry():
        return False  # the owner hears of the last attempt only
    claim = MailClaim(
        SparkJobRun.objects.filter(pk=run.pk),
        pending={"timed_out_at__isnull": False, "timeout_mail_sent_at__isnull": True},
        sent={"timeout_mail_sent_at": timezone.now()},
        lease="timeout_mail_claimed_at",
    )
    if not claim.take():
        return False
    spark_job = run.spark_job
    return (
        send_claimed_mail("jobs/emails/timed_out", run_mail_context(run), spark_job.created_by.email, claim)
        is None
    )


def run_mail_context(run: SparkJobRun, **extra: Any) -> dict[str, Any]:
    """What the run mails show: the job, the run (its outcome, failing cell, page) and ``extra``."""
    return {"spark_job": run.spark_job, "run": run, **extra}


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
            raise SparkJobNotFound(f"Spark job {pk} does not exist")
        return job

    def check_enabled(self, spark_job: SparkJob) -> None:
        """Raise :class:`SparkJobNotEnabled` (no retry) for a job an operator disabled."""
        if not spark_job.is_enabled:
            raise SparkJobNotEnabled(f"Spark job {spark_job.identifier} is disabled")

    def provision_run(
        self, spark_job: SparkJob, first_run: bool = False, slot: datetime | None = None
    ) -> SparkJobRun | None:
        """Start the run of ``slot``; None when another run got there first, or the slot has its run.

        On the last retry a transient AWS error fails the run instead of raising.
        ``first_run`` is what earlier releases passed for a job's first run; the
        slots keep every run on the start date's grid, so it changes nothing.
        """
        return spark_job.run(final_attempt=self.is_last_attempt, slot=slot)

    # The documented steps that are the model's or this module's own verbs.
    sync_run = staticmethod(SparkJob.sync_latest_run)
    unschedule_and_expire = staticmethod(expire_and_notify)
    terminate_and_notify = staticmethod(stop_timed_out_run)


@celery.task(bind=True, base=SparkJobRunTask)
def run_job(self: SparkJobRunTask, pk: int, first_run: bool = False, slot: str | None = None) -> str:
    """Start the run of the job's ``slot`` (ISO 8601) when it is still owed and nothing else of it runs.

    Without ``slot`` (a message of an earlier release, ``manage.py run_jobs``), the
    slot due now, if any. Returns what happened: ``started``, ``failed`` (AWS
    refused, or stayed out of reach through every retry; the owner is alerted),
    ``not-due`` (the slot has its run, was superseded or is not owed, see
    :meth:`~atmo.jobs.schedules.SparkJobSchedule.owes`), ``over-budget`` (a
    used-up budget under the live setting BUDGET_HARD_STOP; the dispatcher sends
    the slot again, so it runs once the budget is raised), ``expired``,
    ``timed-out`` or ``busy`` (the previous run is still going: the dispatcher
    sends the slot again later). ``first_run``: see :meth:`SparkJobRunTask.provision_run`.
    """
    spark_job = self.get_spark_job(pk)
    self.sync_run(spark_job)
    self.check_enabled(spark_job)
    now = timezone.now()
    due = spark_job.schedule.next_slot(now) if slot is None else datetime.fromisoformat(slot)
    if due is None or not spark_job.schedule.owes(due, now):
        ended = spark_job.end_date is not None and spark_job.end_date <= now
        if ended and spark_job.schedule.next_slot(now) is None:
            self.unschedule_and_expire(spark_job)
            return "expired"
        return "not-due"
    if scheduled_runs_stopped(spark_job.created_by):
        logger.info("scheduled run held: budget used up, hard stop", extra={"spark_job_id": spark_job.pk})
        return "over-budget"
    if spark_job.is_runnable:
        run = self.provision_run(spark_job, first_run=first_run, slot=due)
        if run is None:
            return "busy"
        return "failed" if run.is_failed else "started"
    if spark_job.has_timed_out:
        self.terminate_and_notify(spark_job)
        return "timed-out"
    return "busy"


#: A slot sent to the workers is sent again after this long when it still has no run:
#: its message was lost (a flushed broker) or its job was busy.
REDISPATCH_SECONDS = 600


@celery.task
def dispatch_jobs() -> list[list[Any]]:
    """Send ``run_job`` for every job whose next slot has come; returns ``[identifier, slot]`` pairs.

    The schedule is the database's: this reads each job's next slot
    (:meth:`~atmo.jobs.schedules.SparkJobSchedule.next_slot`), so a flushed Redis
    loses no schedule. A slot is sent once per :data:`REDISPATCH_SECONDS` (a
    cache key; losing it sends the slot again, which the run's unique constraint
    makes harmless).
    """
    now = timezone.now()
    sent = []
    for spark_job in SparkJob.objects.scheduled().with_latest_slot():
        slot = spark_job.schedule.next_slot(now)
        if slot is None or slot > now:
            continue
        if not cache.add(f"atmo:dispatched:{spark_job.pk}:{slot.isoformat()}", 1, REDISPATCH_SECONDS):
            continue
        run_job.delay(spark_job.pk, slot=slot.isoformat())
        sent.append([spark_job.identifier, slot.isoformat()])
    return sent


@celery.task
def expire_jobs() -> list[list[Any]]:
    """Expire the jobs past their end date that owe no slot any more; returns ``[identifier, pk]`` pairs.

    The owner is mailed once; the expiry mails still owed (not sent, or claimed by
    a worker that died) are sent too.
    """
    expired = []
    now = timezone.now()
    for spark_job in SparkJob.objects.lapsed().with_latest_slot().select_related("created_by"):
        if spark_job.schedule.next_slot(now) is not None:
            continue  # its last slot has come but not run yet
        if expire_and_notify(spark_job):
            logger.info("spark job expired", extra={"spark_job_id": spark_job.pk})
            expired.append([spark_job.identifier, spark_job.pk])
    for spark_job in SparkJob.objects.expiry_mail_pending().select_related("created_by"):
        notify_expired(spark_job)
    return expired


@celery.task(base=AWSTask)
def update_jobs_statuses() -> list[list[Any]]:
    """Sync every run under way, then stop the runs past their timeout.

    Stale requests are recovered first (see :meth:`SparkJobRun.give_up_if_stale`);
    the rest come from one ListClusters call per 50 clusters. When nothing changed
    that is one query; the changed runs are written in bulk, page by page, and only
    a run that just ended has its outcome read (one GetObject).
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
    now = timezone.now()
    for run in runs:
        job = run.spark_job
        # Read from the run in hand first: only a run past its timeout costs a query
        # (has_timed_out reads the job's latest run).
        if not run.past_timeout(now) or not job.has_timed_out:
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
    # The alerts of an attempt that a retry followed are never mailed: the owner hears of the last one.
    alerts = SparkJobRunAlert.objects.filter(
        reason_code__in=JobFlowModel.FAILURE_REASONS,
        mail_sent_date__isnull=True,
        run__in=SparkJobRun.objects.not_retried(),
    ).select_related("run__spark_job__created_by")
    for alert in alerts:
        if alert.run.awaits_retry():
            continue
        claim = MailClaim(
            SparkJobRunAlert.objects.filter(pk=alert.pk),
            pending={"mail_sent_date__isnull": True},
            sent={"mail_sent_date": timezone.now()},
            lease="mail_claimed_at",
        )
        if not claim.take():
            continue
        spark_job = alert.run.spark_job
        # The runner stopped a notebook at the job's timeout: the step failed, yet it is a timeout.
        template = "jobs/emails/timed_out" if alert.run.timed_out else "jobs/emails/run_failed"
        context = run_mail_context(alert.run, alert=alert)
        if send_claimed_mail(template, context, spark_job.created_by.email, claim) is None:
            sent.append(spark_job.identifier)
    pending = SparkJobRun.objects.timeout_mail_pending().not_retried()
    for run in pending.select_related("spark_job__created_by"):
        if notify_timed_out(run):
            sent.append(run.spark_job.identifier)
    return sent


# Not an AWSTask: an attempt AWS cannot start now is left to the next sweep, not retried here.
@celery.task
def retry_failed_runs() -> list[list[Any]]:
    """Start the next attempt of each run that ended badly ``ATMO_JOB_RETRY_DELAY_SECONDS`` ago or more.

    Only while its job has retries left for it (see :meth:`SparkJobRun.can_be_retried`)
    and no newer run of the job came first. A run AWS could not start now is tried
    again by the next sweep. Returns ``[identifier, new run pk]`` pairs.
    """
    ended_before = timezone.now() - timedelta(seconds=settings.ATMO_JOB_RETRY_DELAY_SECONDS)
    candidates = SparkJobRun.objects.retry_candidates(ended_before).order_by("finished_at")
    started = []
    for run in candidates.select_related("spark_job__created_by", "spark_job__emr_release")[:RETRY_BATCH]:
        if not run.can_be_retried():
            continue
        try:
            attempt = run.spark_job.retry(run)
        except (AWSError, SparkJobNotFound) as exc:
            logger.warning("failed run not retried yet", extra={"run_id": run.pk, "error": str(exc)})
            continue
        if attempt is not None:
            logger.info("failed run retried", extra={"run_id": run.pk, "attempt_run_id": attempt.pk})
            started.append([run.spark_job.identifier, attempt.pk])
    return started
