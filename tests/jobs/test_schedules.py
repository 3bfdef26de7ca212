"""The per-job redbeat entries, against the real Redis."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from atmo.celery import celery
from atmo.jobs.models import SparkJob
from atmo.jobs.schedules import SparkJobScheduleEntry
from tests.jobs.helpers import make_job

pytestmark = pytest.mark.django_db


def due_now(job: SparkJob) -> bool:
    """What beat decides when it looks at the job's entry right now."""
    entry = job.schedule.get()
    assert entry is not None
    return bool(entry.is_due().is_due)


def test_a_new_job_gets_one_entry_that_runs_run_job_with_its_id(user: Any) -> None:
    job = make_job(user)
    entry = job.schedule.get()
    assert entry.name == f"atmo.jobs.tasks.run_job:{job.pk}"
    assert entry.task == "atmo.jobs.tasks.run_job"
    assert list(entry.args) == [job.pk]
    assert entry.schedule.run_every == timedelta(hours=24)


def test_the_first_run_is_due_at_the_start_date_and_not_before(user: Any) -> None:
    start = timezone.now() + timedelta(days=10)
    job = make_job(user, start_date=start)
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
    job = make_job(user, start_date=timezone.now() - timedelta(minutes=1))
    assert due_now(job)


def test_editing_a_job_keeps_its_last_run_and_adds_no_run(user: Any) -> None:
    job = make_job(user, start_date=timezone.now() - timedelta(days=3))
    last_run = timezone.now() - timedelta(hours=2)
    job.schedule.reschedule(last_run_at=last_run)
    assert not due_now(job)

    job.description = "Counts more things."
    job.size = 5
    job.save()

    entry = job.schedule.get()
    assert entry.last_run_at == last_run
    assert not due_now(job)
    assert job.schedule.next_run_at() == last_run + timedelta(hours=24)


def test_changing_the_interval_counts_from_the_last_run(user: Any) -> None:
    job = make_job(user, start_date=timezone.now() - timedelta(days=30))
    last_run = timezone.now() - timedelta(hours=30)
    job.schedule.reschedule(last_run_at=last_run)
    job.interval_in_hours = SparkJob.INTERVAL_WEEKLY
    job.save()
    assert job.schedule.next_run_at() == last_run + timedelta(hours=168)
    assert not due_now(job)


def test_moving_the_start_date_later_restarts_the_schedule_there(user: Any) -> None:
    job = make_job(user, start_date=timezone.now() + timedelta(days=1))
    later = timezone.now() + timedelta(days=5)
    job.start_date = later
    job.save()
    assert job.schedule.next_run_at() == later
    assert not due_now(job)


def test_disabling_removes_the_entry_and_enabling_restores_it(user: Any) -> None:
    job = make_job(user)
    job.is_enabled = False
    job.save()
    assert job.schedule.get() is None
    job.is_enabled = True
    job.save()
    assert job.schedule.get() is not None


def test_expiring_removes_the_entry(user: Any) -> None:
    job = make_job(user, end_date=timezone.now() + timedelta(days=1))
    assert job.expire() is True
    assert job.schedule.get() is None
    assert job.expire() is False  # once


def test_a_job_past_its_end_date_is_not_scheduled(user: Any) -> None:
    job = make_job(
        user, start_date=timezone.now() - timedelta(days=5), end_date=timezone.now() - timedelta(days=1)
    )
    assert job.schedule.get() is None


def test_deleting_the_job_removes_the_entry(user: Any, aws: Any) -> None:
    job = make_job(user)
    key = job.schedule.key
    aws.s3.add_response("delete_object", {}, {"Bucket": "atmo-code", "Key": job.notebook_s3_key})
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
