"""QuerySets of the jobs app."""

from __future__ import annotations

from typing import Any

from django.db import models
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


class SparkJobRunQuerySet(JobFlowQuerySet):
    """Named filters of Spark job runs (their states: see :class:`~atmo.queries.JobFlowQuerySet`)."""

    def timeout_mail_pending(self) -> SparkJobRunQuerySet:
        """Runs ATMO stopped for their timeout whose owner has not been mailed yet."""
        return self.filter(timed_out_at__isnull=False, timeout_mail_sent_at__isnull=True)
