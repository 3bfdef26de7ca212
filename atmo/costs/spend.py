"""What users and groups spent: sums of the costs the status sweep stored on clusters and job runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, Sum
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.jobs.models import SparkJobRun


def month_start(moment: datetime | None = None) -> datetime:
    """Midnight UTC of the first day of ``moment``'s month (now's by default)."""
    moment = moment or timezone.now()
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(month: datetime) -> datetime:
    return (month + timedelta(days=32)).replace(day=1)


def spend(owners: Q, since: datetime, until: datetime | None = None) -> Decimal:
    """The cost of the clusters and job runs started in [since, until) by the users ``owners`` selects.

    ``owners`` is a filter on users (e.g. ``Q(pk=user.pk)``, ``Q(groups=group)``);
    a job run counts for the owner of its job.
    """
    window = Q(created_at__gte=since) & (Q(created_at__lt=until) if until else Q())
    users = _users(owners)
    clusters = Cluster.objects.filter(window, created_by__in=users).aggregate(total=Sum("cost"))["total"]
    runs = SparkJobRun.objects.filter(window, spark_job__created_by__in=users).aggregate(total=Sum("cost"))[
        "total"
    ]
    return (clusters or Decimal(0)) + (runs or Decimal(0))


def _users(owners: Q) -> Any:
    return get_user_model().objects.filter(owners).values("pk")


def month_to_date(user: Any) -> Decimal:
    return spend(Q(pk=user.pk), month_start())
