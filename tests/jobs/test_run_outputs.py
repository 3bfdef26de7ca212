"""Where a run's outputs go and the parameters its notebook gets (the runner's seams on SparkJobRun)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory


def test_a_runs_outputs_have_a_folder_of_their_own(db: Any) -> None:
    run = SparkJobRunFactory(spark_job=SparkJobFactory(identifier="weekly-report"))

    assert run.output_prefix == f"weekly-report/runs/{run.pk}/"


def test_a_manual_run_gets_the_day_it_was_asked_for_and_its_own_ids(db: Any) -> None:
    job = SparkJobFactory(identifier="weekly-report", result_visibility="private")
    run = SparkJobRunFactory(spark_job=job)
    run.created_at = datetime(2026, 12, 6, 23, 59, tzinfo=UTC)

    assert run.notebook_parameters() == {
        "run_date": "2026-12-06",
        "job_identifier": "weekly-report",
        "run_id": run.pk,
        "output_location": f"s3://atmo-private-data/weekly-report/runs/{run.pk}/",
    }


def test_a_public_jobs_outputs_go_to_the_public_bucket(db: Any) -> None:
    run = SparkJobRunFactory(spark_job=SparkJobFactory(identifier="open-data", result_visibility="public"))

    assert run.notebook_parameters()["output_location"] == f"s3://atmo-public-data/open-data/runs/{run.pk}/"


def test_a_scheduled_run_gets_its_slots_date_not_the_clock(db: Any) -> None:
    run = SparkJobRunFactory()
    run.created_at = datetime(2026, 12, 8, 0, 5, tzinfo=UTC)  # a late start…
    run.slot = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # …of yesterday's slot

    assert run.notebook_parameters()["run_date"] == "2026-12-07"
