"""QuerySets of the jobs app."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Self, TypedDict, cast

from django.db import models
from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from atmo.models import JobFlowModel
from atmo.queries import JobFlowQuerySet

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    # Named in the quoted QuerySet bases below, which ruff does not read.
    from atmo.jobs.models import SparkJob, SparkJobRun  # noqa: F401


class LatestRunSummary(TypedDict):
    """What :meth:`SparkJobQuerySet.with_latest_run_summary` annotates; None for a job never run."""

    latest_run_status: str | None
    latest_run_scheduled_at: datetime | None
    latest_run_modified_at: datetime | None


class SparkJobQuerySet(models.QuerySet["SparkJob"]):
    """Named filters of Spark jobs, by the state of their runs and dates."""

    def with_runs(self) -> Self:
        return self.filter(runs__isnull=False).distinct()

    def active(self) -> Self:
        return self.filter(runs__status__in=JobFlowModel.ACTIVE).distinct()

    def terminated(self) -> Self:
        return self.filter(runs__status=JobFlowModel.State.TERMINATED).distinct()

    def failed(self) -> Self:
        return self.filter(runs__status=JobFlowModel.State.TERMINATED_WITH_ERRORS).distinct()

    def lapsed(self) -> Self:
        return self.filter(end_date__lte=timezone.now(), expired_date__isnull=True)

    def expiry_mail_pending(self) -> Self:
        return self.filter(expired_date__isnull=False, expired_mail_sent_at__isnull=True)

    def scheduled(self) -> Self:
        """Enabled jobs not expired: those that may have a next slot."""
        return self.filter(is_enabled=True, expired_date__isnull=True)

    def with_latest_slot(self) -> Self:
        """Jobs annotated with the latest slot a run was made for, as ``latest_slot_at``.

        What ``SparkJob.schedule.next_slot()`` needs, for many jobs in one query.
        """
        return self.annotate(latest_slot_at=Max("runs__slot"))

    def with_next_run_order(self) -> Self:
        """Jobs annotated with ``next_run_order``: when they run next, for sorting in the database.

        The slot after the latest run's (or the start date), NULL for jobs that
        never run again. Only the order counts: a job that missed slots sorts
        first, as it is due; what the pages show is ``SparkJob.schedule.next_slot()``.
        Needs :meth:`with_latest_slot`.
        """
        after_latest = F("latest_slot_at") + ExpressionWrapper(
            F("interval_in_hours") * Value(timedelta(hours=1)), output_field=DurationField()
        )
        return self.annotate(
            next_run_order=Case(
                When(Q(is_enabled=False) | Q(expired_date__isnull=False), then=None),
                default=Coalesce(after_latest, F("start_date")),
                output_field=DateTimeField(),
            )
        )

    def _runs_newest_first(self) -> SparkJobRunQuerySet:
        from atmo.jobs.models import SparkJobRun  # the models module imports this one

        return SparkJobRun.objects.order_by("-created_at", "-pk")

    def with_latest_run(self) -> Self:
        """Jobs with their newest run (and its alerts) fetched for ``SparkJob.latest_run()``.

        One query for every job's newest run, whatever the number of jobs and runs.
        """
        newest = self._runs_newest_first().select_related("requested_by").prefetch_related("alerts")[:1]
        return self.prefetch_related(Prefetch("runs", queryset=newest, to_attr="prefetched_latest_runs"))

    def with_latest_run_summary(self) -> models.QuerySet[WithAnnotations[SparkJob, LatestRunSummary]]:
        """Jobs annotated with their newest run's status, scheduled and modified times.

        As ``latest_run_status``, ``latest_run_scheduled_at`` and ``latest_run_modified_at``.
        Subqueries: lists of jobs cost the same number of queries however many
        jobs and runs there are.
        """
        newest = self._runs_newest_first().filter(spark_job=OuterRef("pk"))
        # The plugin types annotations as Any; the cast says what the subqueries return.
        return cast(
            "models.QuerySet[WithAnnotations[SparkJob, LatestRunSummary]]",
            self.annotate(
                latest_run_status=Subquery(newest.values("status")[:1]),
                latest_run_scheduled_at=Subquery(newest.values("scheduled_at")[:1]),
                latest_run_modified_at=Subquery(newest.values("modified_at")[:1]),
            ),
        )


class SparkJobRunQuerySet(JobFlowQuerySet["SparkJobRun"]):
    """Named filters of Spark job runs (their states: see :class:`~atmo.queries.JobFlowQuerySet`)."""

    def timeout_mail_pending(self) -> Self:
        return self.filter(timed_out_at__isnull=False, timeout_mail_sent_at__isnull=True)

    def retried(self) -> Self:
        later = self.model.objects.filter(
            retry_of=Coalesce(OuterRef("retry_of"), OuterRef("pk")), attempt__gt=OuterRef("attempt")
        )
        return self.filter(Exists(later))

    def not_retried(self) -> Self:
        return self.exclude(pk__in=self.model.objects.retried().values("pk"))

    def retry_candidates(self, ended_before: datetime) -> Self:
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
