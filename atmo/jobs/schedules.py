"""A Spark job's schedule: its slots ``start_date + k × interval``, all of it in PostgreSQL.

:meth:`SparkJobSchedule.next_slot` is the one answer to "when does the job run
next": the dashboard, the job page, the admin and the dispatcher
(:func:`atmo.jobs.tasks.dispatch_jobs`) all ask it. A slot is owed when it is

* on the job's grid, at or after the start date and before the end date;
* at or after ``schedule_from``, the time the grid last changed (an edit of the
  interval or start date) or the job was enabled again: slots already past
  then are not run, none after it is skipped;
* later than the latest slot a run was made for (one run per slot, which a
  unique constraint on the runs enforces);
* the latest slot that has come: a slot missed while the scheduler was down is
  made up for once, and only while it is less than one interval old, never as a
  burst of every missed slot.

A ``run_job`` message carries its slot. It is still owed when it arrives after
the job's end date (:meth:`SparkJobSchedule.owes`): the scheduler saw it due in
time, so the job's last run is not lost to a slow queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.utils import timezone


class ScheduledJob(Protocol):
    """What a schedule needs of its job; the job model imports this module, not the other way round."""

    pk: Any
    interval_in_hours: int
    start_date: datetime
    end_date: datetime | None
    schedule_from: datetime | None
    is_enabled: bool
    expired_date: datetime | None

    def latest_slot(self) -> datetime | None: ...


@dataclass(frozen=True)
class Grid:
    """The times ``start + k × interval`` for k = 0, 1, 2…"""

    start: datetime
    interval: timedelta

    def floor(self, moment: datetime) -> datetime | None:
        """The latest slot at or before ``moment``; None before the first."""
        if moment < self.start:
            return None
        return self.start + self.interval * ((moment - self.start) // self.interval)

    def ceil(self, moment: datetime, strictly: bool = False) -> datetime:
        """The first slot at or after ``moment`` (``strictly``: after it)."""
        latest = self.floor(moment)
        if latest is None:
            return self.start
        if latest == moment and not strictly:
            return latest
        return latest + self.interval

    def __contains__(self, moment: datetime) -> bool:
        return self.floor(moment) == moment


class SparkJobSchedule:
    """The slots of one Spark job (see the module's docstring)."""

    def __init__(self, spark_job: ScheduledJob) -> None:
        self.spark_job = spark_job

    @property
    def run_every(self) -> timedelta:
        return timedelta(hours=self.spark_job.interval_in_hours)

    @property
    def grid(self) -> Grid:
        return Grid(self.spark_job.start_date, self.run_every)

    def first_owed(self) -> datetime:
        """The first slot the job may still run: after its latest run's, not before ``schedule_from``."""
        job, grid = self.spark_job, self.grid
        first = grid.ceil(max(job.start_date, job.schedule_from or job.start_date))
        latest = job.latest_slot()
        if latest is not None:
            first = max(first, grid.ceil(latest, strictly=True))
        return first

    def before_end(self, slot: datetime) -> bool:
        end = self.spark_job.end_date
        return end is None or slot < end

    def next_slot(self, now: datetime | None = None) -> datetime | None:
        """The slot the job runs next: at or before ``now`` when it is due, None when it never runs again.

        None for a disabled or expired job, and once no slot before the end date is left.
        """
        job = self.spark_job
        if not job.is_enabled or job.expired_date is not None:
            return None
        now = timezone.now() if now is None else now
        first = self.first_owed()
        latest = self.grid.floor(now)  # less than one interval old, by definition
        slot = latest if latest is not None and latest >= first else first
        return slot if self.before_end(slot) else None

    def owes(self, slot: datetime, now: datetime | None = None) -> bool:
        """Whether a run for ``slot`` (from a ``run_job`` message) should still start now.

        The slot must be on the grid, owed (see :meth:`first_owed`), come, before
        the end date, and the latest such slot: a message delivered after a later
        slot came is superseded by that slot's own. It may be late by any amount
        when it is the job's last slot before its end date.
        """
        now = timezone.now() if now is None else now
        if slot not in self.grid or slot < self.first_owed() or not self.before_end(slot):
            return False
        end = self.spark_job.end_date
        cutoff = now if end is None else min(now, end - timedelta(microseconds=1))
        return self.grid.floor(cutoff) == slot

    def __repr__(self) -> str:
        return f"<SparkJobSchedule of job {self.spark_job.pk}>"
