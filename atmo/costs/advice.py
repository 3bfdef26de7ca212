"""Advice on a job that uses far less than it pays for: the rules, each with the numbers behind it.

Every rule reads what the status sweep already stored (run times, sizes, costs);
none asks AWS. The job page shows what :func:`advice_for` returns.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import mean
from typing import Any

from django.db.models import Avg, Count, Q

from atmo.costs.models import InstancePrice
from atmo.costs.spend import month_start
from atmo.costs.trends import Outcome, duration_of, ended_runs, outcome_of
from atmo.jobs.models import SparkJob, SparkJobRun
from atmo.lib.costs import dollars
from atmo.templatetags import duration as humane

#: The short-runs rule looks at this many of the last runs ...
SHORT_RUNS = 10
#: ... which must all have taken less than this percentage of the timeout.
SHORT_PERCENT = 10
#: The suggested timeout leaves this much room over the longest of them.
TIMEOUT_HEADROOM = 2
#: Cost per run this many times last month's counts as "doubled".
COST_GROWTH = Decimal(2)
#: The size rule compares sizes that each have at least this many recent successful runs ...
SIZE_SAMPLE = 3
#: ... and calls a smaller size enough when its runs took at most this much longer on average.
SIZE_SLOWDOWN = Decimal("1.25")


@dataclass(frozen=True)
class Advice:
    """One piece of advice: a kind (for styling and tests), a sentence with numbers, and the numbers."""

    kind: str
    message: str
    numbers: dict[str, Any] = field(default_factory=dict)

    SHORTER_TIMEOUT = "shorter-timeout"
    COST_DOUBLED = "cost-doubled"
    SMALLER_CLUSTER = "smaller-cluster"


def hours(amount: int) -> str:
    return f"{amount} h"


def short_runs(job: SparkJob, runs: list[SparkJobRun]) -> Advice | None:
    """The last :data:`SHORT_RUNS` runs all succeeded in under :data:`SHORT_PERCENT` % of the timeout."""
    last = runs[-SHORT_RUNS:]
    if len(last) < SHORT_RUNS or any(outcome_of(run) != Outcome.SUCCEEDED for run in last):
        return None
    durations = [duration_of(run) or timedelta(0) for run in last]
    timeout = timedelta(hours=job.job_timeout)
    longest = max(durations)
    if longest * 100 >= timeout * SHORT_PERCENT:
        return None
    suggested = max(1, math.ceil(longest * TIMEOUT_HEADROOM / timedelta(hours=1)))
    numbers: dict[str, Any] = {
        "longest": longest,
        "timeout_hours": job.job_timeout,
        "suggested_hours": suggested,
    }
    message = (
        f"The last {SHORT_RUNS} runs took at most {humane(longest)} of a {hours(job.job_timeout)} timeout."
    )
    if suggested < job.job_timeout:
        message += f" A timeout of {hours(suggested)} would still give them twice the time the longest took"
        rates = InstancePrice.current_rates()
        if rates is not None:
            worst, better = rates.estimate(job.size, job.job_timeout), rates.estimate(job.size, suggested)
            numbers.update(worst_case=dollars(worst), suggested_worst_case=dollars(better))
            message += (
                f", and a run that hangs would cost at most ${dollars(better)} instead of ${dollars(worst)}"
            )
        message += "."
    elif job.size > 1:
        message += f" A smaller cluster than {job.size} nodes may do the work in time for less."
    else:
        return None
    return Advice(Advice.SHORTER_TIMEOUT, message, numbers)


def cost_per_run_growth(job: SparkJob, now: datetime | None = None) -> Advice | None:
    """This month's average cost per run is at least :data:`COST_GROWTH` times last month's."""
    this_month = month_start(now)
    last_month = month_start(this_month - timedelta(days=1))
    in_this = Q(created_at__gte=this_month)
    in_last = Q(created_at__gte=last_month, created_at__lt=this_month)
    averages = job.runs.filter(cost__isnull=False).aggregate(
        now=Avg("cost", filter=in_this),
        before=Avg("cost", filter=in_last),
        runs_now=Count("pk", filter=in_this),
        runs_before=Count("pk", filter=in_last),
    )
    now_avg, before_avg = averages["now"], averages["before"]
    if not now_avg or not before_avg or now_avg < before_avg * COST_GROWTH:
        return None
    now_avg, before_avg = dollars(now_avg), dollars(before_avg)
    message = (
        f"The cost per run more than doubled since last month: ${now_avg} on average over "
        f"{averages['runs_now']} runs in {this_month:%B}, against ${before_avg} over "
        f"{averages['runs_before']} runs in {last_month:%B}."
    )
    return Advice(
        Advice.COST_DOUBLED,
        message,
        {"this_month": now_avg, "last_month": before_avg, "ratio": round(now_avg / before_avg, 2)},
    )


def oversized(job: SparkJob, runs: list[SparkJobRun]) -> Advice | None:
    """Recent runs on a smaller cluster took about as long as those on the job's size."""
    by_size: dict[int, list[SparkJobRun]] = defaultdict(list)
    for run in runs:
        if run.size and outcome_of(run) == Outcome.SUCCEEDED:
            by_size[run.size].append(run)
    current = by_size.get(job.size, [])
    smaller = [size for size, sized in by_size.items() if size < job.size and len(sized) >= SIZE_SAMPLE]
    if len(current) < SIZE_SAMPLE or not smaller:
        return None
    size = min(smaller)

    def seconds(sized: list[SparkJobRun]) -> float:
        return mean((duration_of(run) or timedelta(0)).total_seconds() for run in sized)

    big, small = seconds(current), seconds(by_size[size])
    if small > big * float(SIZE_SLOWDOWN):
        return None
    message = (
        f"Runs on {size} nodes took {humane(timedelta(seconds=small))} on average; "
        f"on {job.size} nodes they take {humane(timedelta(seconds=big))}. "
        f"The bigger cluster does not make the job much faster: a size of {size} may do."
    )
    return Advice(
        Advice.SMALLER_CLUSTER,
        message,
        {"size": job.size, "smaller": size, "seconds": big, "smaller_seconds": small},
    )


def advice_for(
    job: SparkJob, runs: list[SparkJobRun] | None = None, now: datetime | None = None
) -> list[Advice]:
    """Every rule's advice on ``job``; ``runs`` are its last ended runs, oldest first (read if not given)."""
    runs = ended_runs(job) if runs is None else runs
    found = [short_runs(job, runs), cost_per_run_growth(job, now), oversized(job, runs)]
    return [advice for advice in found if advice is not None]
