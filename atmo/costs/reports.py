"""The operators' cost reports: what each user, group, job and month cost, and where money idled.

Every report is one or two SQL queries whatever the number of rows: the database
counts and sums, grouped; a report of one query also sorts in SQL. Costs are the
ones the status sweep stored on clusters and job runs (``cost``), counted in the
month the cluster or run was requested, as budgets count them (:mod:`atmo.costs.spend`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, TruncMonth
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.costs.models import InstancePrice
from atmo.costs.spend import month_start, next_month_start
from atmo.jobs.models import SparkJob, SparkJobRun

MONEY = DecimalField(max_digits=14, decimal_places=4)
ZERO = Value(Decimal(0), output_field=MONEY)
#: How many past months the month chooser offers (any month can still be asked for in the address).
MONTHS_OFFERED = 24


@dataclass(frozen=True)
class Period:
    """The calendar month (UTC) a report covers, or all months when ``month`` is None."""

    month: datetime | None

    ALL = "all"

    @classmethod
    def parse(cls, text: str | None) -> Period:
        """``YYYY-MM`` or ``all``; anything else (or nothing) is the current month."""
        if text == cls.ALL:
            return cls(None)
        try:
            moment = datetime.strptime(text or "", "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            return cls(month_start())
        # December 9999 has no month after it to end the window with.
        return cls(moment) if moment.year < 9999 else cls(month_start())

    @property
    def value(self) -> str:
        return self.month.strftime("%Y-%m") if self.month else self.ALL

    @property
    def label(self) -> str:
        return self.month.strftime("%B %Y") if self.month else "all months"

    def window(self, prefix: str = "") -> Q:
        """Rows requested in the period; ``prefix`` reaches them through a relation (``runs__``)."""
        if self.month is None:
            return Q()
        until = next_month_start(self.month)
        return Q(**{f"{prefix}created_at__gte": self.month, f"{prefix}created_at__lt": until})


def offered_months(now: datetime | None = None) -> list[Period]:
    """The current month and the :data:`MONTHS_OFFERED` - 1 before it, newest first; no query."""
    month = month_start(now or timezone.now())
    months = []
    for _ in range(MONTHS_OFFERED):
        months.append(Period(month))
        month = month_start(month - timedelta(days=1))
    return months


@dataclass(frozen=True)
class Column:
    """A column of a report: its key (in rows, in ``?o=``) and heading; ``kind`` says how to show it."""

    key: str
    label: str
    #: ``text``, ``money``, ``count``, ``hours``, ``month`` or ``datetime``.
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind in {"money", "count", "hours"}


Rows = QuerySet[Any, Any] | list[dict[str, Any]]


@dataclass(frozen=True)
class Report:
    """One table of the report page, with what its numbers mean."""

    slug: str
    title: str
    definition: str
    columns: tuple[Column, ...]
    default_order: str
    build: Callable[[Period], Rows]
    #: Whether the month chooser applies (the trend by month always covers every month).
    monthly: bool = True
    #: The admin page a row links to: (URL name, row key of its id).
    link: tuple[str, str] | None = None

    def order(self, text: str | None) -> str:
        """``text`` when it names a column (``total`` or ``-total``), else the default order."""
        key = (text or "").removeprefix("-")
        return text if text and key in {column.key for column in self.columns} else self.default_order

    def rows(self, period: Period, order: str) -> list[dict[str, Any]]:
        """The rows of ``period``, sorted by ``order`` (a valid one: see :meth:`order`); empty last."""
        rows = self.build(period if self.monthly else Period(None))
        descending, key = order.startswith("-"), order.removeprefix("-")
        tie_break = self.columns[0].key
        if isinstance(rows, QuerySet):
            ordered = F(key).desc(nulls_last=True) if descending else F(key).asc(nulls_last=True)
            return list(rows.order_by(ordered, tie_break))
        known = sorted(
            (row for row in rows if row[key] is not None),
            key=lambda row: (row[key], row[tie_break]),
            reverse=descending,
        )
        return known + [row for row in rows if row[key] is None]


def _spend(
    period: Period, key: str, by_cluster: dict[str, Any], by_run: dict[str, Any]
) -> list[dict[str, Any]]:
    """The period's clusters and job runs, counted and summed in SQL by the columns given, then merged.

    ``by_cluster`` and ``by_run`` name each column and say how a cluster, and a
    run, reach it (a run's owner is its job's). Rows merge on ``key``; a cluster
    or run whose ``key`` is NULL (its owner is in no group) counts nowhere. Two
    grouped queries: correlated subqueries per user would be slower, and make
    PostgreSQL compile them (JIT) for seconds.
    """
    rows: dict[Any, dict[str, Any]] = {}
    sources: tuple[tuple[Any, dict[str, Any], str], ...] = (
        (Cluster, by_cluster, "clusters"),
        (SparkJobRun, by_run, "runs"),
    )
    for model, columns, kind in sources:
        grouped = (
            model._default_manager.filter(period.window())
            .annotate(**columns)
            .order_by()
            .values(*columns)
            .annotate(count=Count("pk"), cost=Coalesce(Sum("cost"), ZERO, output_field=MONEY))
        )
        for found in grouped:
            if found[key] is None:
                continue
            row = rows.setdefault(found[key], {**{name: found[name] for name in columns}, **EMPTY_SPEND})
            row[kind] = found["count"]
            row[f"{kind.removesuffix('s')}_cost"] = found["cost"]
    for row in rows.values():
        row["total"] = row["cluster_cost"] + row["run_cost"]
    return list(rows.values())


EMPTY_SPEND = {"clusters": 0, "cluster_cost": Decimal(0), "runs": 0, "run_cost": Decimal(0)}


def _owner_columns(path: str, name: str, label: str) -> dict[str, Any]:
    """The owner's id, ``name`` (``label`` of the owner) and budget, reached through ``path``."""
    return {
        f"{name}_id": F(path),
        name: F(f"{path}__{label}"),
        "monthly_budget": F(f"{path}__budget__monthly_limit"),
    }


def by_user(period: Period) -> Rows:
    return _spend(
        period,
        "user_id",
        _owner_columns("created_by", "user", "email"),
        _owner_columns("spark_job__created_by", "user", "email"),
    )


def by_group(period: Period) -> Rows:
    return _spend(
        period,
        "group_id",
        _owner_columns("created_by__groups", "group", "name"),
        _owner_columns("spark_job__created_by__groups", "group", "name"),
    )


def by_job(period: Period) -> Rows:
    window = period.window("runs__")
    jobs = SparkJob.objects.annotate(
        run_count=Count("runs", filter=window),
        cost=Coalesce(Sum("runs__cost", filter=window), ZERO, output_field=MONEY),
        cost_per_run=Avg("runs__cost", filter=window, output_field=MONEY),
    ).filter(run_count__gt=0)
    return jobs.values(
        "pk",
        "size",
        "run_count",
        "cost",
        "cost_per_run",
        job=F("identifier"),
        owner=F("created_by__email"),
        timeout=F("job_timeout"),
    )


def by_month(period: Period) -> Rows:
    """Every month with a cluster or a run (``period`` is all months)."""
    month = {"month": TruncMonth("created_at", tzinfo=UTC)}
    return _spend(period, "month", month, month)


def cluster_hourly() -> Any:
    """What one hour of each cluster costs at today's prices, as an SQL expression (None when unpriced)."""
    price = InstancePrice.current_rates()
    if price is None:
        return Value(None, output_field=MONEY)
    master, worker = Value(price.master_hourly), Value(price.worker_hourly)
    return Case(
        When(size__lte=1, then=master),
        default=ExpressionWrapper(master + F("size") * worker, output_field=MONEY),
        output_field=MONEY,
    )


def idle_time(period: Period) -> Rows:
    """Clusters EMR stopped for idleness, with what their last, idle hours cost."""
    idle = Cluster.objects.filter(period.window(), idle_stopped_at__isnull=False, idle_timeout__isnull=False)
    at_price = ExpressionWrapper(F("idle_timeout") * cluster_hourly(), output_field=MONEY)
    # Never more than the cluster cost in all (prices may have risen since it ran).
    capped = Case(
        When(cost__isnull=False, then=Least(at_price, F("cost"), output_field=MONEY)),
        default=at_price,
        output_field=MONEY,
    )
    return idle.annotate(idle_cost=capped).values(
        "pk",
        "size",
        "idle_timeout",
        "idle_stopped_at",
        "idle_cost",
        "cost",
        cluster=F("identifier"),
        owner=F("created_by__email"),
    )


def full_lifetime(period: Period) -> Rows:
    """Clusters ATMO stopped at their expiry that no idle timeout shorter than their lifetime guarded."""
    unguarded = Q(idle_timeout__isnull=True) | Q(idle_timeout__gte=F("lifetime"))
    expired = Q(termination_reason=Cluster.TERMINATED_AT_EXPIRY)
    clusters = Cluster.objects.filter(period.window(), expired, unguarded)
    return clusters.values(
        "pk",
        "size",
        "lifetime",
        "lifetime_extension_count",
        "idle_timeout",
        "finished_at",
        "cost",
        cluster=F("identifier"),
        owner=F("created_by__email"),
    )


SPEND_COLUMNS = (
    Column("clusters", "Clusters", "count"),
    Column("cluster_cost", "Clusters (USD)", "money"),
    Column("runs", "Job runs", "count"),
    Column("run_cost", "Job runs (USD)", "money"),
    Column("total", "Total (USD)", "money"),
)

CLUSTER_COLUMNS = (Column("cluster", "Cluster"), Column("owner", "Owner"), Column("size", "Size", "count"))

REPORTS: Sequence[Report] = (
    Report(
        "users",
        "By user",
        "What each user's own clusters and the runs of their jobs cost, in the month they were requested.",
        (Column("user", "User"), *SPEND_COLUMNS, Column("monthly_budget", "Monthly budget (USD)", "money")),
        "-total",
        by_user,
        link=("admin:auth_user_change", "user_id"),
    ),
    Report(
        "groups",
        "By group",
        "What the members of each group spent together; a member of two groups counts in both.",
        (Column("group", "Group"), *SPEND_COLUMNS, Column("monthly_budget", "Monthly budget (USD)", "money")),
        "-total",
        by_group,
        link=("admin:auth_group_change", "group_id"),
    ),
    Report(
        "jobs",
        "By job",
        "The runs of each Spark job requested in the period; "
        "cost per run averages the runs with a known cost.",
        (
            Column("job", "Job"),
            Column("owner", "Owner"),
            Column("size", "Size", "count"),
            Column("timeout", "Timeout (hours)", "hours"),
            Column("run_count", "Runs", "count"),
            Column("cost", "Cost (USD)", "money"),
            Column("cost_per_run", "Cost per run (USD)", "money"),
        ),
        "-cost",
        by_job,
        link=("admin:jobs_sparkjob_change", "pk"),
    ),
    Report(
        "months",
        "By month",
        "Every month with a cluster or a job run, whatever month is chosen above: the trend.",
        (Column("month", "Month", "month"), *SPEND_COLUMNS),
        "-month",
        by_month,
        monthly=False,
    ),
    Report(
        "idle",
        "Most expensive idle time",
        "Clusters that EMR stopped for being idle (their idle timeout ran out). Their last hours, as long "
        "as the idle timeout, ran no step: idle cost = idle timeout × the cluster's hourly price at "
        "today's prices (master on demand, core nodes as the spot setting says, EMR's charge included), "
        "at most the cluster's whole cost.",
        (
            *CLUSTER_COLUMNS,
            Column("idle_timeout", "Idle hours", "hours"),
            Column("idle_stopped_at", "Stopped", "datetime"),
            Column("idle_cost", "Idle cost (USD)", "money"),
            Column("cost", "Total cost (USD)", "money"),
        ),
        "-idle_cost",
        idle_time,
        link=("admin:clusters_cluster_change", "pk"),
    ),
    Report(
        "full-lifetime",
        "Full lifetime without steps",
        "Clusters that ran until their lifetime was over and ATMO terminated them at expiry, with no idle "
        "timeout shorter than their lifetime. ATMO does not see the notebooks or steps of an interactive "
        "cluster; a cluster whose shorter idle timeout never ran out must have been busy, so only these "
        "may have run their whole lifetime without a step.",
        (
            *CLUSTER_COLUMNS,
            Column("lifetime", "Lifetime (hours)", "hours"),
            Column("lifetime_extension_count", "Extensions", "count"),
            Column("idle_timeout", "Idle timeout (hours)", "hours"),
            Column("finished_at", "Finished", "datetime"),
            Column("cost", "Cost (USD)", "money"),
        ),
        "-cost",
        full_lifetime,
        link=("admin:clusters_cluster_change", "pk"),
    ),
)
REPORTS_BY_SLUG = {report.slug: report for report in REPORTS}
