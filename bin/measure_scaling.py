"""Prints how ATMO's pages and status syncs scale: SQL queries and AWS calls at 5 and at 200 objects.

Run it with ``make measure``. It needs no service of its own: it uses the test
settings (PostgreSQL when ``DATABASE_URL`` is set, else in-memory SQLite; Redis from
``REDIS_URL``, else an embedded one), creates and drops a throw-away test database,
and points boto3 at an in-process local AWS emulator (`localdev.aws.LocalAWS`).

For each page it prints the SQL queries of one GET with 5 and with 200 of the
objects the page lists (clusters, keys, jobs, runs) and the median time of 5
GETs; for the status syncs, the AWS calls by operation for 5 and 120 active
clusters or runs, and for the cluster sync when 2 of them were deleted outside
ATMO. A figure that grows with the number of objects is a bug (the test suite
holds the same rules: tests/*/test_*queries*).
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atmo.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from localdev.aws import DUMMY_CREDENTIALS, Buckets, LocalAWS  # noqa: E402
from localdev.sweep_counts import aws_calls, calls_text  # noqa: E402

SMALL, LARGE = 5, 200
SYNC_SMALL, SYNC_LARGE = 5, 120
#: Clusters of the status sync deleted outside ATMO: each costs one DescribeCluster.
UNKNOWN_TO_EMR = 2
TIMING_REPEATS = 5
NOTEBOOK = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}'


def measure_get(client: Client, url: str) -> tuple[int, float]:
    """SQL queries of one GET of ``url`` and the median milliseconds of a few more."""
    client.get(url)  # warm the per-process caches (content types, permissions, templates)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    # Read now: the next request empties the log the capture reads from.
    queries = len(captured.captured_queries)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    timings = []
    for _ in range(TIMING_REPEATS):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    return queries, statistics.median(timings)


class World:
    """One analyst's objects, grown from SMALL to LARGE between the two measurements."""

    def __init__(self, aws: LocalAWS) -> None:
        from tests.clusters.factories import EMRReleaseFactory
        from tests.users.factories import UserFactory

        self.aws = aws
        self.owner = UserFactory(username="measure@example.com")
        self.releases = [EMRReleaseFactory(version=f"7.{minor}.0") for minor in range(3)]
        self.client = Client()
        self.client.force_login(self.owner)

    def add_clusters(self, count: int) -> Any:
        from tests.clusters.factories import ClusterFactory

        clusters = [
            ClusterFactory(created_by=self.owner, emr_release=self.releases[number % 3])
            for number in range(count)
        ]
        return clusters[0]

    def add_keys(self, count: int) -> None:
        from tests.keys.factories import SSHKeyFactory

        SSHKeyFactory.create_batch(count, created_by=self.owner)

    def add_job(self, identifier: str) -> Any:
        from tests.jobs.factories import SparkJobFactory

        job = SparkJobFactory(
            created_by=self.owner,
            identifier=identifier,
            emr_release=self.releases[0],
            notebook_s3_key=f"jobs/{identifier}/report.ipynb",
            start_date=timezone.now() + timedelta(hours=1),
        )
        s3 = self.aws.client("s3")
        s3.put_object(Bucket=self.aws.buckets.code, Key=job.notebook_s3_key, Body=NOTEBOOK)
        return job

    def add_runs(self, job: Any, count: int) -> None:
        from atmo.clusters.models import Cluster
        from tests.jobs.factories import SparkJobRunFactory

        for number in range(count):
            run = SparkJobRunFactory(
                spark_job=job, jobflow_id=f"j-{job.pk}-{number}", status=Cluster.STATUS_TERMINATED
            )
            if number % 3 == 0:
                run.alert("STEP_FAILURE", f"Step {number} failed.")


def page_figures(world: World) -> list[tuple[str, int, float, int, float]]:
    """(page, queries at SMALL, ms at SMALL, queries at LARGE, ms at LARGE) for each page."""
    first_cluster = world.add_clusters(SMALL)
    world.add_keys(SMALL - 1)  # the clusters' factory made one key already
    world.add_job("a-second-job")  # so the dashboard lists jobs, plural, from the start
    many_runs = world.add_job("many-runs")
    world.add_runs(many_runs, SMALL)

    pages: dict[str, Callable[[], str]] = {
        "dashboard (all clusters and jobs)": lambda: reverse("dashboard") + "?clusters=all",
        "cluster detail": lambda: first_cluster.urls.detail,
        "cluster extend": lambda: reverse("clusters-extend", args=[first_cluster.pk]),
        "cluster terminate": lambda: reverse("clusters-terminate", args=[first_cluster.pk]),
        "new cluster (keys to choose from)": lambda: reverse("clusters-new"),
        "SSH keys": lambda: reverse("keys-list"),
        "job detail (run history)": lambda: reverse("jobs-detail", args=[many_runs.pk]),
        "job edit": lambda: reverse("jobs-edit", args=[many_runs.pk]),
    }
    small = {name: measure_get(world.client, url()) for name, url in pages.items()}

    world.add_clusters(LARGE - SMALL)
    world.add_keys(LARGE - SMALL)
    world.add_runs(many_runs, LARGE - SMALL)
    for number in range(LARGE - 2):
        world.add_job(f"job-{number:03d}")
    large = {name: measure_get(world.client, url()) for name, url in pages.items()}
    return [(name, *small[name], *large[name]) for name in pages]


def sync_figures(world: World) -> list[tuple[str, Counter[str], Counter[str]]]:
    """AWS calls of the cluster and job status syncs with SYNC_SMALL and SYNC_LARGE objects under way."""
    from atmo.clusters.models import Cluster
    from atmo.clusters.tasks import update_clusters
    from atmo.jobs.tasks import update_jobs_statuses

    emr = world.aws.client("emr")

    def fresh_emr() -> None:
        # EMR lists every cluster of the account, so start each measurement from an empty one.
        request = urllib.request.Request(f"{world.aws.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(request).close()  # noqa: S310 (the local emulator)
        world.aws.seed()

    def start_emr_clusters(count: int, keep_alive: bool) -> list[str]:
        instances = {
            "InstanceGroups": [
                {
                    "InstanceRole": "MASTER",
                    "InstanceType": "m5.xlarge",
                    "InstanceCount": 1,
                    "Market": "ON_DEMAND",
                }
            ],
            "KeepJobFlowAliveWhenNoSteps": keep_alive,
        }
        return [
            emr.run_job_flow(Name=f"measure-{number}", ReleaseLabel="emr-7.0.0", Instances=instances)[
                "JobFlowId"
            ]
            for number in range(count)
        ]

    def cluster_sync(count: int, unknown: int = 0) -> Counter[str]:
        """``unknown`` of the ``count`` clusters are no longer known to EMR (deleted outside ATMO)."""
        Cluster.objects.all().delete()
        fresh_emr()
        known = start_emr_clusters(count - unknown, keep_alive=True)
        for jobflow_id in [*known, *(f"j-DELETED{number}" for number in range(unknown))]:
            world_cluster = world.add_clusters(1)
            world_cluster.jobflow_id = jobflow_id
            world_cluster.most_recent_status = Cluster.STATUS_STARTING
            world_cluster.save()
        # Older than the grace a new cluster gets before it must show up in the listing.
        Cluster.objects.update(created_at=timezone.now() - 2 * Cluster.MISSING_GRACE)
        with aws_calls() as calls:
            update_clusters()
        gone = Cluster.objects.filter(status_message=Cluster.GONE_MESSAGE, most_recent_status="TERMINATED")
        assert gone.count() == unknown, f"{gone.count()} of {unknown} unknown clusters marked terminated"
        return calls

    def job_sync(count: int) -> Counter[str]:
        from tests.jobs.factories import SparkJobRunFactory

        fresh_emr()
        for number, jobflow_id in enumerate(start_emr_clusters(count, keep_alive=False)):
            job = world.add_job(f"sync-{count}-{number}")
            SparkJobRunFactory(spark_job=job, jobflow_id=jobflow_id, status=Cluster.STATUS_STARTING)
        with aws_calls() as calls:
            update_jobs_statuses()
        return calls

    return [
        ("update_clusters", cluster_sync(SYNC_SMALL), cluster_sync(SYNC_LARGE)),
        (
            f"... {UNKNOWN_TO_EMR} unknown to EMR",
            cluster_sync(SYNC_SMALL, UNKNOWN_TO_EMR),
            cluster_sync(SYNC_LARGE, UNKNOWN_TO_EMR),
        ),
        ("update_jobs_statuses", job_sync(SYNC_SMALL), job_sync(SYNC_LARGE)),
    ]


def main() -> int:
    # The emulator's request log would drown the figures.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    setup_test_environment(debug=False)
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        with LocalAWS("127.0.0.1", 0, speed=0.05, buckets=Buckets()) as aws:
            os.environ["AWS_ENDPOINT_URL"] = aws.endpoint_url
            os.environ.update({key.upper(): value for key, value in DUMMY_CREDENTIALS.items()})
            world = World(aws)
            pages = page_figures(world)
            syncs = sync_figures(world)
    finally:
        teardown_databases(databases, verbosity=0)

    print(f"Database: {connection.vendor}")
    print(
        f"\nSQL queries per GET, with {SMALL} and with {LARGE} objects (median ms of {TIMING_REPEATS} GETs)"
    )
    print(f"{'page':<36} {SMALL:>8} {'ms':>7} {LARGE:>8} {'ms':>7}")
    for name, small_queries, small_ms, large_queries, large_ms in pages:
        flag = "" if small_queries == large_queries else "   <- grows"
        print(f"{name:<36} {small_queries:>8} {small_ms:>7.1f} {large_queries:>8} {large_ms:>7.1f}{flag}")
    print(f"\nAWS calls of one status sync, with {SYNC_SMALL} and with {SYNC_LARGE} active clusters or runs")
    for name, small_calls, large_calls in syncs:
        small_text, large_text = calls_text(small_calls), calls_text(large_calls)
        print(f"{name:<22} {SYNC_SMALL:>4}: {small_text:<28} {SYNC_LARGE:>4}: {large_text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
