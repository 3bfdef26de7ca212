"""Where a run's outputs go and the parameters its notebook gets (the runner's seams on SparkJobRun)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.response import StreamingBody

from atmo.jobs.provisioners import SparkJobProvisioner
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


def test_a_runs_outcome_is_read_from_its_folder(aws: Any) -> None:
    outcome = {"status": "failed", "failure": {"cell_index": 3}}
    content = json.dumps(outcome).encode()
    aws.s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(content), len(content))},
        {"Bucket": "atmo-private-data", "Key": "daily-report/runs/7/outcome.json"},
    )
    assert SparkJobProvisioner().read_outcome("atmo-private-data", "daily-report/runs/7/") == outcome


def test_a_run_without_an_outcome_yet_has_none(aws: Any) -> None:
    aws.s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.")
    assert SparkJobProvisioner().read_outcome("atmo-private-data", "daily-report/runs/7/") is None


def test_a_malformed_outcome_is_no_outcome(aws: Any) -> None:
    # The run still ends with its EMR state; only the details the outcome would add are missing.
    aws.s3.add_response("get_object", {"Body": StreamingBody(io.BytesIO(b"[1]"), 3)}, None)
    assert SparkJobProvisioner().read_outcome("atmo-private-data", "daily-report/runs/7/") is None


def test_an_output_link_is_presigned_for_a_while() -> None:
    url = SparkJobProvisioner().output_url("atmo-private-data", "daily-report/runs/7/log.txt", expires=120)
    parts = urlsplit(url)
    assert parts.netloc == "atmo-private-data.s3.amazonaws.com"
    assert parts.path == "/daily-report/runs/7/log.txt"
    query = parse_qs(parts.query)
    assert query["X-Amz-Expires"] == ["120"]
    assert query["X-Amz-Signature"]
