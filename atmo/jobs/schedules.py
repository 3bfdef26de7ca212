"""Each enabled Spark job has one redbeat entry that fires ``run_job`` every N hours.

The entry's ``last_run_at`` carries the schedule. A new entry counts from the
job's latest run, so re-enabling a job or bringing an expired one back does not
repeat a run that just happened; a job that never ran gets ``start_date -
interval``, so its first run is due exactly at the start date (no separate
one-off task), and nothing is ever due before the start date. Edits keep the
stored ``last_run_at``: saving a job never makes it due early. The job model
writes and removes entries once its transaction commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from celery.schedules import schedule as interval_schedule
from django.utils import timezone
from redbeat import RedBeatSchedulerEntry
from redbeat.schedulers import ensure_conf

from atmo.celery import celery


class ScheduledRun(Protocol):
    scheduled_at: datetime | None


class ScheduledJob(Protocol):
    """What a schedule needs of its job; the job model imports this module, not the other way round."""

    pk: Any
    interval_in_hours: int
    start_date: datetime

    def latest_run(self) -> ScheduledRun | None: ...


class SparkJobScheduleEntry(RedBeatSchedulerEntry):
    """A redbeat entry whose sorted-set score is the real due time.

    redbeat 2.4's ``due_at`` adds the remaining time to ``last_run_at`` instead of
    to now, which is only right when ``last_run_at`` is now. For a first run
    weeks ahead, beat would pick the entry up (and run it) weeks too late.
    """

    @property
    def due_at(self) -> datetime | None:
        """When beat should send the entry: now when overdue, None when it never will."""
        now = self._default_now()
        if self.last_run_at is None:
            return now
        remaining = self.schedule.remaining_estimate(self.last_run_at)
        if remaining is None:
            return None
        return max(now, now + remaining)


class SparkJobSchedule:
    """The redbeat entry of one Spark job."""

    task = "atmo.jobs.tasks.run_job"

    def __init__(self, spark_job: ScheduledJob) -> None:
        self.spark_job = spark_job
        #: The entry's name, ``atmo.jobs.tasks.run_job:<job pk>``; fixed here, as
        #: deleting the job clears its pk before the entry goes (on commit).
        self.name = f"{self.task}:{spark_job.pk}"

    @property
    def key(self) -> str:
        """The entry's Redis key (redbeat's prefix and the name)."""
        ensure_conf(celery)  # redbeat reads its key prefix from the app's config
        return SparkJobScheduleEntry.generate_key(celery, self.name)

    @property
    def run_every(self) -> timedelta:
        """The job's interval."""
        return timedelta(hours=self.spark_job.interval_in_hours)

    def create(self, last_run_at: datetime | None = None) -> SparkJobScheduleEntry:
        """The entry, not saved."""
        entry = SparkJobScheduleEntry(
            name=self.name,
            task=self.task,
            schedule=interval_schedule(run_every=self.run_every, app=celery),
            args=(self.spark_job.pk,),
            kwargs={},
            app=celery,
        )
        entry.last_run_at = last_run_at
        return entry

    def get(self) -> SparkJobScheduleEntry | None:
        """The saved entry, or None when the job is not scheduled."""
        try:
            return SparkJobScheduleEntry.from_key(self.key, app=celery)
        except KeyError:
            return None

    def add(self, restart: bool = False) -> SparkJobScheduleEntry:
        """Create or update the entry; ``restart`` starts over from the start date.

        Without ``restart`` the last run time already stored is kept, so an edit
        never adds a run; a new entry counts from :meth:`initial_last_run_at`.
        """
        existing = None if restart else self.get()
        last_run_at = existing.last_run_at if existing is not None else None
        if last_run_at is None:
            last_run_at = self.initial_last_run_at(restart)
        entry = self.create(last_run_at)
        entry.save()
        # save() only writes the run time of a new entry; this writes it always.
        entry.reschedule(last_run_at=last_run_at)
        return entry

    def initial_last_run_at(self, restart: bool = False) -> datetime:
        """Where a new entry counts the interval from.

        From the latest run's scheduled time, so that a job re-enabled or brought
        back after expiry is not due again at once; never from earlier than one
        interval before the start date, so nothing is due before it. ``restart``
        (the start date moved) ignores the runs: the schedule starts over there.
        """
        before_start = self.spark_job.start_date - self.run_every
        run = None if restart else self.spark_job.latest_run()
        if run is None or run.scheduled_at is None:
            return before_start
        return max(run.scheduled_at, before_start)

    def count_from_start(self) -> None:
        """Count the interval from the start date, as if the first run had started on the dot."""
        self.reschedule(last_run_at=self.spark_job.start_date)

    def reschedule(self, last_run_at: datetime) -> None:
        """Count the schedule's interval from ``last_run_at`` (e.g. a manual run)."""
        entry = self.get()
        if entry is not None:
            entry.reschedule(last_run_at=last_run_at)

    def delete(self) -> bool:
        """Remove the entry; returns whether there was one."""
        entry = self.get()
        if entry is None:
            return False
        entry.delete()
        return True

    def next_run_at(self) -> datetime | None:
        """When beat will next start the job, or None when it is not scheduled."""
        entry = self.get()
        if entry is None or entry.last_run_at is None:
            return None
        # Overdue means beat starts it on its next tick.
        return max(entry.last_run_at + self.run_every, timezone.now())

    def __repr__(self) -> str:
        return f"<SparkJobSchedule {self.name}>"
