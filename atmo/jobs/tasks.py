"""Celery tasks of the jobs app: runs, status sync, expiry and mails."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import Task
from django.db import transaction
from django.utils import timezone

from atmo.celery import celery
from atmo.clusters.models import Cluster
from atmo.clusters.provisioners import ClusterProvisioner
from atmo.jobs.exceptions import SparkJobNotEnabled, SparkJobNotFound
from atmo.jobs.models import SparkJob, SparkJobRun, SparkJobRunAlert
from atmo.jobs.schedules import SparkJobSchedule
from atmo.mail import send_templated_mail
from atmo.provisioners import AWSError

logger = logging.getLogger(__name__)

#: How long to wait before trying again when the previous run is still going.
STILL_RUNNING_RETRY_SECONDS = 600
#: A run missing from EMR's listing this long after its request is gone for good.
MISSING_GRACE = timedelta(minutes=10)


class SparkJobRunTask(Task):
    """The steps of ``run_job``, as methods so each can be tested on its own."""

    throws = (SparkJobNotFound, SparkJobNotEnabled)
    #: With the jittered backoff, nine retries stay within a few hours.
    max_retries = 9
    acks_late = True

    def get_spark_job(self, pk: int) -> SparkJob:
        job = SparkJob.objects.select_related("created_by", "emr_release").filter(pk=pk).first()
        if job is None:
            # A job deleted while its entry was due: drop the orphan entry too.
            SparkJobSchedule(SparkJob(pk=pk)).delete()
            raise SparkJobNotFound(f"Spark job {pk} does not exist")
        return job

    def sync_run(self, spark_job: SparkJob) -> bool:
        """Bring the latest run's status up to date; returns whether there was one."""
        run = spark_job.get_latest_run()
        if run is None:
            return False
        with transaction.atomic():
            run.give_up_if_stale()
            run.sync()
        spark_job.__dict__.pop("latest_run", None)
        return True

    def check_enabled(self, spark_job: SparkJob) -> None:
        if not spark_job.is_enabled:
            raise SparkJobNotEnabled(f"Spark job {spark_job.identifier} is disabled")

    def provision_run(self, spark_job: SparkJob) -> SparkJobRun | None:
        return spark_job.run()

    def unschedule_and_expire(self, spark_job: SparkJob) -> bool:
        """Expire a job past its end date and tell the owner, once."""
        return expire_and_notify(spark_job)

    def terminate_and_notify(self, spark_job: SparkJob) -> bool:
        """Stop a run that ran past the job's timeout and tell the owner, once."""
        run = spark_job.latest_run
        if run is None:
            return False
        claimed = SparkJobRun.objects.filter(pk=run.pk, timed_out_at__isnull=True).update(
            timed_out_at=timezone.now()
        )
        if not claimed:
            return False
        spark_job.terminate()
        send_templated_mail(
            "jobs/emails/timed_out",
            {"spark_job": spark_job, "run": run},
            to=[spark_job.created_by.email],
        )
        return True


@celery.task(bind=True, base=SparkJobRunTask)
def run_job(self: SparkJobRunTask, pk: int, first_run: bool = False) -> str:
    """Start the job's next run when it is due and nothing else of it runs.

    Returns what happened: ``started``, ``failed`` (AWS refused; the owner is
    alerted), ``not-due``, ``expired``, ``timed-out`` or ``busy``.
    """
    spark_job = self.get_spark_job(pk)
    try:
        self.sync_run(spark_job)
        self.check_enabled(spark_job)
        if spark_job.is_runnable:
            if spark_job.is_due:
                run = self.provision_run(spark_job)
                if run is None:
                    return "busy"
                return "failed" if run.status == Cluster.STATUS_TERMINATED_WITH_ERRORS else "started"
            if not spark_job.has_future_end_date(timezone.now()):
                self.unschedule_and_expire(spark_job)
                return "expired"
            # Before the start date (e.g. it was moved later): nothing to do yet.
            return "not-due"
        if spark_job.has_timed_out:
            self.terminate_and_notify(spark_job)
            return "timed-out"
    except AWSError as exc:
        logger.warning("run_job: AWS error", extra={"spark_job_id": pk, "code": exc.code})
        raise self.retry(exc=exc, countdown=celery.backoff(self.request.retries)) from exc
    # The previous run is still going: look again later instead of skipping a period.
    raise self.retry(countdown=STILL_RUNNING_RETRY_SECONDS)


def expire_and_notify(spark_job: SparkJob) -> bool:
    if not spark_job.expire():
        return False
    send_templated_mail(
        "jobs/emails/expired",
        {"spark_job": spark_job},
        to=[spark_job.created_by.email],
    )
    return True


@celery.task
def expire_jobs() -> list[list[Any]]:
    """Expire the jobs past their end date (the owner is mailed once)."""
    expired = []
    for spark_job in SparkJob.objects.lapsed().select_related("created_by"):
        if expire_and_notify(spark_job):
            logger.info("spark job expired", extra={"spark_job_id": spark_job.pk})
            expired.append([spark_job.identifier, spark_job.pk])
    return expired


@celery.task(bind=True, max_retries=8)
def update_jobs_statuses(self: Any) -> list[list[Any]]:
    """Sync every run under way from EMR's listing: one ListClusters call per 50."""
    runs = list(SparkJobRun.objects.active().select_related("spark_job__created_by").order_by("created_at"))
    if not runs:
        return []
    for run in runs:
        run.give_up_if_stale()
    listed_runs = [run for run in runs if run.jobflow_id and run.is_active]
    updated: list[list[Any]] = []
    if listed_runs:
        created_after = listed_runs[0].created_at.replace(hour=0, minute=0, second=0, microsecond=0)
        try:
            listing = {info.jobflow_id: info for info in ClusterProvisioner().list(created_after)}
        except AWSError as exc:
            raise self.retry(exc=exc, countdown=celery.backoff(self.request.retries)) from exc
        for run in listed_runs:
            info = listing.get(run.jobflow_id)
            if info is None:
                if run.created_at < timezone.now() - MISSING_GRACE:
                    run.mark_gone()
                continue
            run.sync(info)
            updated.append([run.spark_job.identifier, run.pk])
    for run in runs:
        job = run.spark_job
        job.__dict__.pop("latest_run", None)
        if job.has_timed_out:
            run_job.terminate_and_notify(job)
    return updated


@celery.task
def send_run_alert_mails() -> list[str]:
    """Mail the owner of every failed run, once per alert."""
    sent = []
    alerts = SparkJobRunAlert.objects.filter(
        reason_code__in=Cluster.FAILED_STATE_CHANGE_REASON_LIST, mail_sent_date__isnull=True
    ).select_related("run__spark_job__created_by")
    for alert in alerts:
        claimed = SparkJobRunAlert.objects.filter(pk=alert.pk, mail_sent_date__isnull=True).update(
            mail_sent_date=timezone.now()
        )
        if not claimed:
            continue
        spark_job = alert.run.spark_job
        try:
            send_templated_mail(
                "jobs/emails/run_failed",
                {"spark_job": spark_job, "run": alert.run, "alert": alert},
                to=[spark_job.created_by.email],
            )
        except Exception:
            SparkJobRunAlert.objects.filter(pk=alert.pk).update(mail_sent_date=None)
            raise
        sent.append(spark_job.identifier)
    return sent
