"""What one run of ``update_jobs_statuses`` costs: SQL queries and AWS calls, at 5 and at 500 runs.

Nothing changed: one query, whatever the number of runs (none per run to check its
timeout). Every run changed: one UPDATE per listing page. AWS: one ListClusters per 50
job flows listed; outcome.json is read (one GetObject) only for a run that just ended.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from math import ceil
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from atmo.clusters.models import EMRRelease
from atmo.jobs import tasks
from atmo.jobs.models import SparkJobRun
from atmo.stats.models import Metric
from localdev.sweep_counts import add_runs, aws_calls
from tests.aws import AWSStubs
from tests.clusters.helpers import add_listing, emr_cluster

pytestmark = pytest.mark.django_db

STARTED = timezone.now() - timedelta(minutes=30)
READY = STARTED + timedelta(minutes=5)


def make_runs(user: Any, count: int, state: str) -> list[SparkJobRun]:
    """``count`` jobs, each with one run under way in ``state`` as the last sweep left it."""
    release, _ = EMRRelease.objects.get_or_create(version="7.0.0")
    up = state in SparkJobRun.READY
    return add_runs(
        user,
        release,
        [f"j-{number}" for number in range(count)],
        state,
        scheduled_at=STARTED,
        started_at=STARTED,
        ready_at=READY if up else None,
        created_at=STARTED,
    )


def sweep(
    aws: AWSStubs, count: int, listed_state: str, then: Callable[[], None] = lambda: None, **listed: Any
) -> tuple[int, dict[str, int]]:
    """One sweep with EMR listing the ``count`` runs' clusters ``listed_state``; ``then`` stubs
    what EMR answers after the listing. Returns the queries and the AWS calls by operation."""
    add_listing(
        aws, [emr_cluster(f"j-{number}", listed_state, STARTED, READY, **listed) for number in range(count)]
    )
    then()
    with aws_calls() as calls, CaptureQueriesContext(connection) as queries:
        updated = tasks.update_jobs_statuses()
    assert len(updated) == count
    return len(queries.captured_queries), dict(calls)


@pytest.mark.parametrize("count", [5, 500])
def test_nothing_changed_costs_one_query_and_a_listing_call_per_50(
    user: Any, aws: AWSStubs, count: int
) -> None:
    make_runs(user, count, "RUNNING")

    queries, calls = sweep(aws, count, "RUNNING")

    assert queries == 1  # the runs under way, with their jobs and owners
    assert calls == {"ListClusters": ceil(count / 50)}


@pytest.mark.parametrize("count", [5, 500])
def test_every_run_changed_is_written_in_one_update_per_listing_page(
    user: Any, aws: AWSStubs, count: int
) -> None:
    make_runs(user, count, "BOOTSTRAPPING")  # EMR says RUNNING now, ready since READY

    queries, calls = sweep(aws, count, "RUNNING")

    pages = ceil(count / 50)
    # The runs, then per page a savepoint, one UPDATE, one INSERT of the runs'
    # time-to-ready metrics and the savepoint's release (the test's transaction turns
    # the sweep's into a savepoint).
    assert queries == 1 + 4 * pages
    assert Metric.objects.filter(key="sparkjob-time-to-ready").count() == count
    assert calls == {"ListClusters": pages}
    assert SparkJobRun.objects.filter(status="RUNNING", ready_at=READY).count() == count


def add_outcome(aws: AWSStubs) -> None:
    body = json.dumps({"status": "succeeded", "duration_seconds": 60}).encode()
    aws.s3.add_response(
        "get_object", {"Body": StreamingBody(io.BytesIO(body), len(body))}, {"Bucket": ANY, "Key": ANY}
    )


def test_only_runs_that_just_ended_have_their_outcome_read(user: Any, aws: AWSStubs) -> None:
    make_runs(user, 5, "RUNNING")

    queries, calls = sweep(
        aws, 5, "TERMINATED", then=lambda: [add_outcome(aws) for _run in range(5)], ended=timezone.now()
    )

    assert calls == {"ListClusters": 1, "GetObject": 5}
    assert all(run.outcome_status == "succeeded" for run in SparkJobRun.objects.all())
    # Ended, they are no longer under way: the next sweep has nothing to ask.
    with aws_calls() as calls_after:
        assert tasks.update_jobs_statuses() == []
    assert not calls_after


def test_a_run_past_its_timeout_costs_its_own_queries_only(user: Any, aws: AWSStubs) -> None:
    runs = make_runs(user, 5, "RUNNING")
    late = runs[0]
    SparkJobRun.objects.filter(pk=late.pk).update(scheduled_at=timezone.now() - timedelta(hours=3))

    queries, calls = sweep(
        aws,
        5,
        "RUNNING",
        then=lambda: aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": [late.jobflow_id]}),
    )

    assert calls == {"ListClusters": 1, "TerminateJobFlows": 1}
    late.refresh_from_db()
    assert late.timed_out_at is not None
    assert SparkJobRun.objects.filter(timed_out_at__isnull=False).count() == 1
