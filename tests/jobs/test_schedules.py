"""A job's schedule is its slots, in the database: edits, pauses and outages, as a table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone
from django_redis import get_redis_connection

from atmo.jobs import tasks
from atmo.jobs.models import SparkJob
from atmo.jobs.schedules import Grid
from tests.aws import AWSStubs
from tests.clusters.helpers import emr_cluster
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
WEEKLY = SparkJob.INTERVAL_WEEKLY


def ran(job: SparkJob, *slots: datetime) -> None:
    """Runs of the job for these slots, ended."""
    for slot in slots:
        SparkJobRunFactory(spark_job=job, status="TERMINATED", slot=slot, scheduled_at=slot)


def edited(job: SparkJob, **fields: Any) -> SparkJob:
    """The job saved with ``fields`` changed, as the edit form or the admin saves it."""
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()
    return job


@dataclass(frozen=True)
class Case:
    """A job set up relative to ``t0`` (the test's now); its next run is ``expected(t0)`` (None: never)."""

    name: str
    setup: Callable[[Any, datetime], SparkJob]
    expected: Callable[[datetime], datetime | None]


def weekly_to_daily_before_the_first_run(user: Any, t0: datetime) -> SparkJob:
    job = SparkJobFactory(created_by=user, start_date=t0 + 2 * DAY, interval_in_hours=WEEKLY)
    return edited(job, interval_in_hours=SparkJob.INTERVAL_DAILY)


def daily_to_weekly_after_runs(user: Any, t0: datetime) -> SparkJob:
    start = t0 - 10 * DAY - HOUR
    job = SparkJobFactory(created_by=user, start_date=start)
    ran(job, *(start + k * DAY for k in range(11)))  # the latest: t0 - 1 h
    return edited(job, interval_in_hours=WEEKLY)  # new grid: t0 - 3 d - 1 h (past), t0 + 4 d - 1 h


def weekly_to_daily_slot_soon_after_the_edit(user: Any, t0: datetime) -> SparkJob:
    start = t0 - 7 * DAY + HOUR
    job = SparkJobFactory(created_by=user, start_date=start, interval_in_hours=WEEKLY)
    ran(job, start)
    return edited(job, interval_in_hours=SparkJob.INTERVAL_DAILY)  # t0 + 1 h is on both grids


def start_moved_later(user: Any, t0: datetime) -> SparkJob:
    job = SparkJobFactory(created_by=user, start_date=t0 - 5 * DAY - HOUR)
    ran(job, t0 - HOUR)
    return edited(job, start_date=t0 + DAY + 3 * HOUR)


def start_moved_so_a_slot_falls_between_the_last_run_and_the_edit(user: Any, t0: datetime) -> SparkJob:
    job = SparkJobFactory(created_by=user, start_date=t0 - 3 * DAY - HOUR)
    ran(job, t0 - HOUR)
    # New grid: ..., t0 - 30 min (after the last run, but past at the edit), t0 + 23 h 30 min.
    return edited(job, start_date=t0 - 3 * DAY - timedelta(minutes=30))


def description_edited(user: Any, t0: datetime) -> SparkJob:
    job = SparkJobFactory(created_by=user, start_date=t0 - 3 * DAY - HOUR)
    ran(job, t0 - 2 * DAY - HOUR)  # the latest slot, t0 - 1 h, is still owed
    return edited(job, description="Now with more counting.", size=4)


def disabled_then_enabled(user: Any, t0: datetime) -> SparkJob:
    start = t0 - 3 * DAY - HOUR
    job = SparkJobFactory(created_by=user, start_date=start)
    ran(job, start)
    edited(job, is_enabled=False)
    return edited(job, is_enabled=True)  # missed t0 - 2 d - 1 h, t0 - 1 d - 1 h, t0 - 1 h


def scheduler_down_over_one_slot(user: Any, t0: datetime) -> SparkJob:
    start = t0 - 3 * DAY - HOUR
    job = SparkJobFactory(created_by=user, start_date=start)
    ran(job, start, start + DAY, start + 2 * DAY)
    return job  # t0 - 1 h was missed


def scheduler_down_for_days(user: Any, t0: datetime) -> SparkJob:
    start = t0 - 3 * DAY - HOUR
    job = SparkJobFactory(created_by=user, start_date=start)
    ran(job, start)
    return job  # missed three slots: only the latest is made up for


def down_past_the_end_date(user: Any, t0: datetime) -> SparkJob:
    start = t0 - 3 * DAY - HOUR
    job = SparkJobFactory(created_by=user, start_date=start, end_date=t0 - DAY + HOUR)
    ran(job, start)
    return job  # its last slot, t0 - 1 d - 1 h, came before the end but is over an interval old


def last_slot_before_the_end_date(user: Any, t0: datetime) -> SparkJob:
    start = t0 - 2 * DAY - HOUR
    job = SparkJobFactory(created_by=user, start_date=start, end_date=t0 - 30 * timedelta(minutes=1))
    ran(job, start, start + DAY)
    return job  # t0 - 1 h is before the end date, which has passed: still owed


def ran_its_last_slot(user: Any, t0: datetime) -> SparkJob:
    start = t0 - 2 * DAY - HOUR
    job = SparkJobFactory(created_by=user, start_date=start, end_date=t0 + 2 * HOUR)
    ran(job, start, start + DAY, start + 2 * DAY)
    return job


def manual_run_after_the_latest_slot(user: Any, t0: datetime) -> SparkJob:
    start = t0 - DAY - HOUR
    job = SparkJobFactory(created_by=user, start_date=start)
    ran(job, start, start + DAY)
    SparkJobRunFactory(
        spark_job=job, status="TERMINATED", slot=None, scheduled_at=t0 - 10 * timedelta(minutes=1)
    )
    return job


CASES = [
    Case(
        "weekly → daily before the first run", weekly_to_daily_before_the_first_run, lambda t0: t0 + 2 * DAY
    ),
    Case("daily → weekly after runs", daily_to_weekly_after_runs, lambda t0: t0 + 4 * DAY - HOUR),
    Case("weekly → daily, a slot soon after", weekly_to_daily_slot_soon_after_the_edit, lambda t0: t0 + HOUR),
    Case("start date moved later", start_moved_later, lambda t0: t0 + DAY + 3 * HOUR),
    Case(
        "start date moved: past slot after the last run",
        start_moved_so_a_slot_falls_between_the_last_run_and_the_edit,
        lambda t0: t0 + DAY - timedelta(minutes=30),
    ),
    Case("description edited: the grid stays", description_edited, lambda t0: t0 - HOUR),
    Case("disabled, then enabled again", disabled_then_enabled, lambda t0: t0 + DAY - HOUR),
    Case("scheduler down over one slot", scheduler_down_over_one_slot, lambda t0: t0 - HOUR),
    Case("scheduler down for days", scheduler_down_for_days, lambda t0: t0 - HOUR),
    Case("down past the end date", down_past_the_end_date, lambda t0: None),
    Case("last slot before a passed end date", last_slot_before_the_end_date, lambda t0: t0 - HOUR),
    Case("ran its last slot", ran_its_last_slot, lambda t0: None),
    Case("manual run takes no slot", manual_run_after_the_latest_slot, lambda t0: t0 + DAY - HOUR),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_edit_semantics(user: Any, case: Case) -> None:
    t0 = timezone.now()
    job = case.setup(user, t0)
    observed = SparkJob.objects.get(pk=job.pk).schedule.next_slot()
    assert (case.name, observed) == (case.name, case.expected(t0))


def test_the_dashboards_bulk_read_agrees_with_the_jobs_own(user: Any) -> None:
    t0 = timezone.now()
    jobs = []
    for n, case in enumerate(CASES):
        jobs.append(case.setup(user, t0))
        SparkJob.objects.filter(pk=jobs[-1].pk).update(identifier=f"job-{n}")
    annotated = {job.pk: job for job in SparkJob.objects.with_latest_slot()}
    for job in jobs:
        assert annotated[job.pk].schedule.next_slot() == SparkJob.objects.get(pk=job.pk).schedule.next_slot()


# --- The grid ----------------------------------------------------------------------------------


def test_the_grid_rounds_to_its_slots() -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    grid = Grid(start, DAY)
    assert grid.floor(start - HOUR) is None
    assert grid.floor(start + 2 * DAY + HOUR) == start + 2 * DAY
    assert grid.ceil(start - 5 * DAY) == start
    assert grid.ceil(start + DAY) == start + DAY
    assert grid.ceil(start + DAY, strictly=True) == start + 2 * DAY
    assert start + 3 * DAY in grid and start + 3 * DAY + HOUR not in grid


# --- A run_job message carries its slot ---------------------------------------------------------


def test_a_late_message_for_the_last_slot_before_the_end_date_is_owed(user: Any) -> None:
    t0 = timezone.now()
    job = last_slot_before_the_end_date(user, t0)
    assert job.schedule.owes(t0 - HOUR)
    assert not job.schedule.owes(t0 - DAY - HOUR)  # has its run
    assert not job.schedule.owes(t0 - 30 * timedelta(minutes=1))  # not on the grid


def test_a_message_for_a_slot_a_later_slot_superseded_is_not_owed(user: Any) -> None:
    t0 = timezone.now()
    job = scheduler_down_for_days(user, t0)
    assert job.schedule.owes(t0 - HOUR)
    assert not job.schedule.owes(t0 - DAY - HOUR)  # a burst would start here


# --- The dispatcher ---------------------------------------------------------------------------


def test_the_dispatcher_sends_each_slot_that_came_once(user: Any) -> None:
    t0 = timezone.now()
    due = SparkJobFactory(created_by=user, identifier="due", start_date=t0 - HOUR)
    SparkJobFactory(created_by=user, identifier="later", start_date=t0 + HOUR)
    SparkJobFactory(created_by=user, identifier="off", start_date=t0 - HOUR, is_enabled=False)
    with mock.patch.object(tasks.run_job, "delay") as delay:
        assert tasks.dispatch_jobs() == [["due", due.start_date.isoformat()]]
        assert tasks.dispatch_jobs() == []  # sent already: not again before REDISPATCH_SECONDS
    delay.assert_called_once_with(due.pk, slot=due.start_date.isoformat())


def test_a_redis_flushed_between_two_scheduler_ticks_loses_no_slot_and_doubles_none(
    user: Any, aws: AWSStubs
) -> None:
    """The dispatcher ticks, Redis loses everything (the message too), it ticks again."""
    job = SparkJobFactory(created_by=user)
    with mock.patch.object(tasks.run_job, "delay") as delay:
        tasks.dispatch_jobs()
        get_redis_connection("default").flushall()
        tasks.dispatch_jobs()
    assert delay.call_count == 2  # the slot came back from the database
    aws.add_spark_configuration()
    aws.emr.add_response("run_job_flow", {"JobFlowId": "j-ONCE"}, None)  # one answer: a second start fails
    aws.emr.add_response("describe_cluster", {"Cluster": emr_cluster("j-ONCE", "RUNNING")}, None)
    outcomes = [tasks.run_job(*call.args, **call.kwargs) for call in delay.call_args_list]
    assert outcomes == ["started", "not-due"]
    assert job.runs.get().slot == job.start_date
