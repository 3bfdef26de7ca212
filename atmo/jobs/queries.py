"""QuerySets of the jobs app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from atmo.models import JobFlowModel
from atmo.queries import JobFlowQuerySet


class SparkJobQuerySet(models.QuerySet[Any]):
    """Named filters of Spark jobs, by the state of their runs and dates."""

    def with_runs(self) -> SparkJobQuerySet:
        """Jobs that have run at least once."""
        return self.filter(runs__isnull=False).distinct()

    def active(self) -> SparkJobQuerySet:
        """Jobs with a run under way."""
        return self.filter(runs__status__in=JobFlowModel.ACTIVE).distinct()

    def terminated(self) -> SparkJobQuerySet:
        """Jobs with a run that ended normally."""
        return self.filter(runs__status=JobFlowModel.State.TERMINATED).distinct()

    def failed(self) -> SparkJobQuerySet:
        """Jobs with a run that ended with errors."""
        return self.filter(runs__status=JobFlowModel.State.TERMINATED_WITH_ERRORS).distinct()

    def lapsed(self) -> SparkJobQuerySet:
        """Jobs past their end date that have not been expired yet."""
        return self.filter(end_date__lte=timezone.now(), expired_date__isnull=True)

    def _runs_newest_first(self) -> models.QuerySet[Any]:
        run_model = self.model._meta.get_field("runs").related_model
        return run_model.objects.order_by("-created_at", "-pk")

    def with_latest_run(self) -> SparkJobQuerySet:
        """Jobs with their newest run (and its alerts) fetched for ``SparkJob.latest_run()``.

        One query for every job's newest run, whatever the number of jobs and runs.
        """
        newest = self._runs_newest_first().prefetch_related("alerts")[:1]
        return self.prefetch_related(Prefetch("runs", queryset=newest, to_attr="prefetched_latest_runs"))

    def with_latest_run_summary(self) -> SparkJobQuerySet:
        """Jobs annotated with their newest run's status, scheduled and modified times.

        As ``latest_run_status``, ``latest_run_scheduled_at`` and ``latest_run_modified_at``.
        Subqueries: lists of jobs cost the same number of queries however many
        jobs and runs there are.
        """
        newest = self._runs_newest_first().filter(spark_job=OuterRef("pk"))
        return self.annotate(
            latest_run_status=Subquery(newest.values("status")[:1]),
            latest_run_scheduled_at=Subquery(newest.values("scheduled_at")[:1]),
            latest_run_modified_at=Subquery(newest.values("modified_at")[:1]),
        )


class SparkJobRunQuerySet(JobFlowQuerySet):
    """Named filters of Spark job runs (their states: see :class:`~atmo.queries.JobFlowQuerySet`)."""

    def timeout_mail_pending(self) -> SparkJobRunQuerySet:
        """Runs ATMO stopped for their timeout whose owner has not been mailed yet."""
        return self.filter(timed_out_at__isnull=False, timeout_mail_sent_at__isnull=True)

    def retried(self) -> SparkJobRunQuerySet:
        """Runs that a later attempt followed (see ``SparkJob.retry``)."""
        later = self.model.objects.filter(
            retry_of=Coalesce(OuterRef("retry_of"), OuterRef("pk")), attempt__gt=OuterRef("attempt")
        )
        return self.filter(Exists(later))

    def not_retried(self) -> SparkJobRunQuerySet:
        """Runs that no later attempt followed (yet)."""
        return self.exclude(pk__in=self.model.objects.retried().values("pk"))

    def retry_candidates(self, ended_before: datetime) -> SparkJobRunQuerySet:
        """Runs that ended badly before ``ended_before``, are their enabled job's latest, with retries left.

        Whether a timed-out run is retried is for ``SparkJobRun.can_be_retried`` to say.
        """
        newer = self.model.objects.filter(
            spark_job=OuterRef("spark_job"), created_at__gt=OuterRef("created_at")
        )
        ended_badly = Q(status=JobFlowModel.State.TERMINATED_WITH_ERRORS) | Q(timed_out_at__isnull=False)
        return self.filter(
            ended_badly,
            finished_at__lt=ended_before,
            attempt__lte=F("spark_job__retries"),
            spark_job__is_enabled=True,
            spark_job__expired_date__isnull=True,
        ).exclude(Exists(newer))
