"""The per-job redbeat entries, against the real Redis."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from redbeat import RedBeatScheduler

from atmo.celery import celery
from atmo.jobs.models import SparkJob
from atmo.jobs.schedules import SparkJobSchedule, SparkJobScheduleEntry
from atmo.jobs.tasks import run_job
from tests.clusters.factories import EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.helpers import committed, save_committed

pytestmark = pytest.mark.django_db


def due_now(job: SparkJob) -> bool:
    """What beat decides when it looks at the job's entry right now."""
    entry = job.schedule.get()
    assert entry is not None
    return bool(entry.is_due().is_due)


def test_a_new_job_gets_one_entry_that_runs_run_job_with_its_id(user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    entry = job.schedule.get()
    assert entry.name == f"atmo.jobs.tasks.run_job:{job.pk}"
    assert entry.task == "atmo.jobs.tasks.run_job"
    assert list(entry.args) == [job.pk]
    assert entry.schedule.run_every == timedelta(hours=24)


def test_the_first_run_is_due_at_the_start_date_and_not_before(user: Any) -> None:
    start = timezone.now() + timedelta(days=10)
    job = SparkJobFactory(created_by=user, start_date=start)
    assert not due_now(job)
    assert job.schedule.next_run_at() == start
    # redbeat's own due time (the sorted-set score) is the start date, not weeks later.
    entry = job.schedule.get()
    assert abs((entry.due_at - start).total_seconds()) < 1
    score = celery_redis().zscore(celery.redbeat_conf.schedule_key, job.schedule.key)
    assert abs(score - start.timestamp()) < 1


def celery_redis() -> Any:
    from redbeat.schedulers import get_redis

    return get_redis(celery)


def test_a_job_whose_start_date_has_come_is_due(user: Any) -> None:
    job = SparkJobFactory(created_by=user, start_date=timezone.now() - timedelta(minutes=1))
    assert due_now(job)


def test_editing_a_job_keeps_its_last_run_and_adds_no_run(user: Any) -> None:
    job = SparkJobFactory(created_by=user, start_date=timezone.now() - timedelta(days=3))
    last_run = timezone.now() - timedelta(hours=2)
    job.schedule.reschedule(last_run_at=last_run)
    assert not due_now(job)

    job.description = "Counts more things."
    job.size = 5
    save_committed(job)

    entry = job.schedule.get()
    assert entry.last_run_at == last_run
    assert not due_now(job)
    assert job.schedule.next_run_at() == last_run + timedelta(hours=24)


def test_changing_the_interval_counts_from_the_last_run(user: Any) -> None:
    job = SparkJobFactory(created_by=user, start_date=timezone.now() - timedelta(days=30))
    last_run = timezone.now() - timedelta(hours=30)
    job.schedule.reschedule(last_run_at=last_run)
    job.interval_in_hours = SparkJob.INTERVAL_WEEKLY
    save_committed(job)
    assert job.schedule.next_run_at() == last_run + timedelta(hours=168)
    assert not due_now(job)


def test_moving_the_start_date_later_restarts_the_schedule_there(user: Any) -> None:
    job = SparkJobFactory(created_by=user, start_date=timezone.now() + timedelta(days=1))
    later = timezone.now() + timedelta(days=5)
    job.start_date = later
    save_committed(job)
    assert job.schedule.next_run_at() == later
    assert not due_now(job)


def test_disabling_removes_the_entry_and_enabling_restores_it(user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    job.is_enabled = False
    save_committed(job)
    assert job.schedule.get() is None
    job.is_enabled = True
    save_committed(job)
    assert job.schedule.get() is not None


def test_expiring_removes_the_entry(user: Any) -> None:
    job = SparkJobFactory(created_by=user, end_date=timezone.now() + timedelta(days=1))
    with committed():
        assert job.expire() is True
    assert job.schedule.get() is None
    assert job.expire() is False  # once


def test_a_job_past_its_end_date_is_not_scheduled(user: Any) -> None:
    job = SparkJobFactory(
        created_by=user,
        start_date=timezone.now() - timedelta(days=5),
        end_date=timezone.now() - timedelta(days=1),
    )
    assert job.schedule.get() is None


def test_deleting_the_job_removes_the_entry(user: Any, aws: Any) -> None:
    job = SparkJobFactory(created_by=user)
    key = job.schedule.key
    aws.s3.add_response("delete_object", {}, {"Bucket": "atmo-code", "Key": job.notebook_s3_key})
    with committed():
        job.delete()
    assert not celery_redis().exists(key)
    assert celery_redis().zscore(celery.redbeat_conf.schedule_key, key) is None


def test_the_entry_class_fixes_redbeats_due_time_for_past_runs() -> None:
    from celery.schedules import schedule

    entry = SparkJobScheduleEntry(
        name="t", task="x", schedule=schedule(run_every=timedelta(hours=24), app=celery), app=celery
    )
    entry.last_run_at = timezone.now() - timedelta(hours=1)
    assert abs((entry.due_at - (timezone.now() + timedelta(hours=23))).total_seconds()) < 2
    entry.last_run_at = timezone.now() - timedelta(hours=30)
    assert abs((entry.due_at - timezone.now()).total_seconds()) < 2


def beat_tick() -> list[int]:
    """One tick of the real redbeat scheduler over the schedule in Redis; returns the job pks it sent.

    Beat moves each sent entry's ``last_run_at`` on, as in production; only the
    message to the broker is caught.
    """
    sent: list[int] = []

    def send(args: Any, kwargs: Any, **options: Any) -> Any:
        sent.append(args[0])
        return mock.Mock(id="sent")

    scheduler = RedBeatScheduler(app=celery, lazy=True)
    scheduler.lock_key = None  # one scheduler in the test: no distributed lock to hold
    with mock.patch.object(run_job, "apply_async", side_effect=send):
        scheduler.tick()
    return sent


def test_beat_sends_a_due_job_once_and_leaves_a_future_one(user: Any) -> None:
    due = SparkJobFactory(created_by=user, identifier="due", start_date=timezone.now() - timedelta(minutes=1))
    SparkJobFactory(created_by=user, identifier="future", start_date=timezone.now() + timedelta(hours=1))
    assert beat_tick() == [due.pk]
    assert beat_tick() == []  # the interval now counts from that send
    assert due.schedule.next_run_at() > timezone.now() + timedelta(hours=23)


def test_beat_sends_nothing_after_an_edit(user: Any) -> None:
    job = SparkJobFactory(created_by=user, start_date=timezone.now() - timedelta(minutes=1))
    assert beat_tick() == [job.pk]
    job.description = "Counts other things."
    save_committed(job)
    assert beat_tick() == []


def ran_two_hours_ago(user: Any, **fields: Any) -> SparkJob:
    """A daily job that started three days ago and last ran two hours ago."""
    job = SparkJobFactory(created_by=user, start_date=timezone.now() - timedelta(days=3), **fields)
    ran_at = timezone.now() - timedelta(hours=2)
    SparkJobRunFactory(spark_job=job, status="TERMINATED", scheduled_at=ran_at)
    job.schedule.reschedule(last_run_at=ran_at)
    return job


def test_re_enabling_a_job_counts_from_its_last_run(user: Any) -> None:
    job = ran_two_hours_ago(user)
    job.is_enabled = False
    save_committed(job)
    job.is_enabled = True
    save_committed(job)
    run = job.runs.get()
    assert job.schedule.get().last_run_at == run.scheduled_at
    assert not due_now(job)
    assert beat_tick() == []
    assert job.schedule.next_run_at() == run.scheduled_at + timedelta(hours=24)


def test_bringing_an_expired_job_back_counts_from_its_last_run(user: Any) -> None:
    job = ran_two_hours_ago(user, end_date=timezone.now() - timedelta(hours=1))
    with committed():
        job.expire()
    assert job.schedule.get() is None
    job.end_date = timezone.now() + timedelta(days=7)
    save_committed(job)
    assert not due_now(job)
    assert beat_tick() == []


def test_a_run_before_the_start_date_does_not_make_the_job_due_early(user: Any) -> None:
    start = timezone.now() + timedelta(days=2)
    job = SparkJobFactory(created_by=user, start_date=start)
    SparkJobRunFactory(
        spark_job=job, status="TERMINATED", scheduled_at=timezone.now() - timedelta(days=1)
    )  # "Run now"
    job.is_enabled = False
    save_committed(job)
    job.is_enabled = True
    save_committed(job)
    assert job.schedule.next_run_at() == start
    assert beat_tick() == []


def test_the_entry_is_written_only_once_the_job_is_committed(
    user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = SparkJobFactory.build(created_by=user, emr_release=EMRReleaseFactory())
    with django_capture_on_commit_callbacks() as callbacks:
        job.save()
        # Beat firing now would find no entry, so run_job cannot drop it as an orphan.
        assert job.schedule.get() is None
    assert len(callbacks) == 1
    callbacks[0]()
    assert due_now(job)


def test_a_job_whose_transaction_rolls_back_leaves_no_entry(user: Any) -> None:
    job = SparkJobFactory.build(created_by=user, emr_release=EMRReleaseFactory())
    with committed(), contextlib.suppress(RuntimeError), transaction.atomic():
        job.save()
        raise RuntimeError("the request failed after saving")
    assert not celery_redis().exists(SparkJobSchedule(job).key)


def test_the_entry_of_a_deleted_job_goes_once_the_delete_is_committed(user: Any, aws: Any) -> None:
    job = SparkJobFactory(created_by=user)
    schedule = job.schedule
    aws.s3.add_response("delete_object", {}, {"Bucket": "atmo-code", "Key": job.notebook_s3_key})
    with committed():
        job.delete()
        assert schedule.get() is not None
    assert schedule.get() is None
