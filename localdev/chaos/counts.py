"""What the chaos harness counts: runs per slot, overlaps, stuck runs, mails per event.

The slots a job owes are computed from its start date, interval and end date
(``start + k × interval``); each run is matched to the slot it records (a run
without one, a manual run, by the time it was started).
Mails are matched to events by kind and job: an event with no mail is missed,
a mail with no event a duplicate.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Plan:
    """What the harness asked of one job, in real time."""

    job: str
    start: datetime
    interval: timedelta
    timeout: timedelta
    end: datetime | None = None


@dataclass(frozen=True)
class Run:
    """One run as the database has it."""

    job: str
    scheduled_at: datetime
    finished_at: datetime | None
    active: bool
    slot: datetime | None = None


@dataclass
class Counts:
    """Everything that went wrong; all zero is a pass."""

    duplicate_runs: int = 0
    missed_runs: int = 0
    overlapping_runs: int = 0
    stuck_runs: int = 0
    duplicate_mails: int = 0
    missed_mails: int = 0
    orphan_clusters: int = 0

    def line(self, **extra: object) -> str:
        """The one line ``make chaos`` prints."""
        parts = [f"{name}={value}" for name, value in extra.items()]
        parts += [f"{f.name}={getattr(self, f.name)}" for f in fields(self)]
        return "chaos: " + " ".join(parts)

    @property
    def failed(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def slots(plan: Plan, until: datetime) -> list[datetime]:
    """The due times the job owes before ``until`` (and before its end date)."""
    last = min(until, plan.end) if plan.end else until
    due, owed = plan.start, []
    while due < last:
        owed.append(due)
        due += plan.interval
    return owed


def slot_of(plan: Plan, run: Run) -> int:
    """The index of the slot a run was started for (-1: before the first one)."""
    if run.slot is not None:
        return round((run.slot - plan.start) / plan.interval)
    if run.scheduled_at < plan.start:
        return -1
    return int((run.scheduled_at - plan.start) / plan.interval)


def count_runs(plans: Iterable[Plan], runs: Iterable[Run], until: datetime, counts: Counts) -> None:
    """Runs beyond one per slot are duplicates (a run before the first slot too); empty slots are missed."""
    by_job: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_job[run.job].append(run)
    for plan in plans:
        owed = len(slots(plan, until))
        per_slot = Counter(slot_of(plan, run) for run in by_job[plan.job] if run.scheduled_at < until)
        counts.duplicate_runs += sum(n - 1 for k, n in per_slot.items() if 0 <= k < owed and n > 1)
        counts.duplicate_runs += sum(n for k, n in per_slot.items() if k < 0 or k >= owed)
        counts.missed_runs += sum(1 for k in range(owed) if per_slot[k] == 0)


def count_overlaps(runs: Iterable[Run], now: datetime, counts: Counts) -> None:
    """A run started before the previous run of its job had finished overlaps it."""
    by_job: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_job[run.job].append(run)
    for job_runs in by_job.values():
        job_runs.sort(key=lambda run: run.scheduled_at)
        for previous, run in zip(job_runs, job_runs[1:], strict=False):
            if run.scheduled_at < (previous.finished_at or now):
                counts.overlapping_runs += 1


def count_stuck(
    plans: Iterable[Plan], runs: Iterable[Run], now: datetime, grace: timedelta, counts: Counts
) -> None:
    """A run still under way ``grace`` after its timeout is stuck (lost by its worker, or never stopped)."""
    timeouts = {plan.job: plan.timeout for plan in plans}
    counts.stuck_runs += sum(
        1 for run in runs if run.active and run.scheduled_at + timeouts[run.job] + grace < now
    )


#: The subjects of the job mails, and the kind of event each is about.
MAIL_SUBJECTS = {
    "run_failed": re.compile(r"Running Spark job (?P<job>\S+) failed"),
    "timed_out": re.compile(r"Spark job (?P<job>\S+) timed out"),
    "expired": re.compile(r"Spark job (?P<job>\S+) expired"),
}


def mail_event(subject: str) -> tuple[str, str] | None:
    """``(kind, job)`` of a job mail, from its subject; None for any other mail."""
    for kind, pattern in MAIL_SUBJECTS.items():
        match = pattern.search(subject)
        if match:
            return kind, match["job"]
    return None


def count_mails(events: Counter[tuple[str, str]], subjects: Iterable[str], counts: Counts) -> None:
    """Compare the mails the database owes per (kind, job) with those the mail server accepted."""
    sent = Counter(event for event in map(mail_event, subjects) if event is not None)
    for key in events.keys() | sent.keys():
        counts.duplicate_mails += max(0, sent[key] - events[key])
        counts.missed_mails += max(0, events[key] - sent[key])


# --- Reading what happened ------------------------------------------------------


def read_runs() -> list[Run]:
    from atmo.clusters.models import Cluster
    from atmo.jobs.models import SparkJobRun

    rows = SparkJobRun.objects.select_related("spark_job").exclude(scheduled_at=None)
    # The filter leaves no run without scheduled_at; the condition tells the type checker.
    return [
        Run(
            job=row.spark_job.identifier,
            scheduled_at=row.scheduled_at,
            finished_at=row.finished_at,
            active=row.status in Cluster.ACTIVE_STATUS_LIST,
            slot=row.slot,
        )
        for row in rows
        if row.scheduled_at is not None
    ]


def owed_mails() -> Counter[tuple[str, str]]:
    """The mails the database says are owed, per (kind, job): one per failure alert, timeout and expiry."""
    from atmo.clusters.models import Cluster
    from atmo.jobs.models import SparkJob, SparkJobRun, SparkJobRunAlert

    owed: Counter[tuple[str, str]] = Counter()
    alerts = SparkJobRunAlert.objects.filter(reason_code__in=Cluster.FAILED_STATE_CHANGE_REASON_LIST)
    for identifier in alerts.values_list("run__spark_job__identifier", flat=True):
        owed["run_failed", identifier] += 1
    for identifier in SparkJobRun.objects.exclude(timed_out_at=None).values_list(
        "spark_job__identifier", flat=True
    ):
        owed["timed_out", identifier] += 1
    for identifier in SparkJob.objects.exclude(expired_date=None).values_list("identifier", flat=True):
        owed["expired", identifier] += 1
    return owed


def tracked_clusters() -> set[str]:
    """The job flow ids the database knows (runs and clusters)."""
    from atmo.clusters.models import Cluster
    from atmo.jobs.models import SparkJobRun

    runs = SparkJobRun.objects.provisioned().values_list("jobflow_id", flat=True)
    clusters = Cluster.objects.provisioned().values_list("jobflow_id", flat=True)
    return {jobflow_id for jobflow_id in (*runs, *clusters) if jobflow_id}
