"""What the status sweeps cost: SQL queries and AWS calls by operation, counted.

:func:`aws_calls` counts the operations every boto3 client makes (a stubbed, a moto or
a real one alike); ``make measure``, ``make bench`` and the tests pinning the sweeps'
counts use it. :func:`print_sweep_figures` runs ``update_clusters`` over 1,000
clusters and ``update_jobs_statuses`` over 500 runs against an in-process moto, with
nothing changed and with every row changed, and prints both counts (the caller
provides the database, e.g. a throw-away test database).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from unittest import mock

from botocore.client import BaseClient

#: The sizes of :func:`print_sweep_figures`.
SWEEP_CLUSTERS = 1000
SWEEP_RUNS = 500


@contextmanager
def aws_calls() -> Iterator[Counter[str]]:
    """Counts the AWS operations every boto3 client makes inside the block."""
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation_name: str, params: dict[str, Any]) -> Any:
        calls[operation_name] += 1
        return original(self, operation_name, params)

    BaseClient._make_api_call = counting
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original


def calls_text(calls: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(calls.items())) or "none"


@dataclass(frozen=True)
class SweepCost:
    queries: int
    calls: Counter[str]

    def __str__(self) -> str:
        return f"{self.queries:>5} queries   AWS: {calls_text(self.calls)}"


@contextmanager
def eager_tasks() -> Iterator[None]:
    """Tasks queued inside the block run at once, in this process (no broker)."""
    from atmo.celery import celery

    eager = celery.conf.task_always_eager
    celery.conf.task_always_eager = True
    try:
        yield
    finally:
        celery.conf.task_always_eager = eager


def sweep_cost(sweep: Callable[[], Any]) -> SweepCost:
    """The queries and AWS calls of one ``sweep()``, follow-up tasks it queues included (run eagerly)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()
    with eager_tasks(), aws_calls() as calls, CaptureQueriesContext(connection) as captured:
        sweep()
    return SweepCost(len(captured.captured_queries), calls)


def start_emr_clusters(count: int) -> list[str]:
    """``count`` job flows at the (mocked) EMR, kept alive (WAITING); returns their ids."""
    from atmo.provisioners import client

    emr = client("emr")
    instances = {
        "InstanceGroups": [
            {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1, "Market": "ON_DEMAND"}
        ],
        "KeepJobFlowAliveWhenNoSteps": True,
    }
    return [
        emr.run_job_flow(Name=f"sweep-{number}", ReleaseLabel="emr-7.0.0", Instances=instances)["JobFlowId"]
        for number in range(count)
    ]


def owner_and_release() -> tuple[Any, Any]:
    from django.contrib.auth import get_user_model

    from atmo.clusters.models import EMRRelease

    owner, _ = get_user_model().objects.get_or_create(username="sweeps", email="sweeps@example.com")
    release, _ = EMRRelease.objects.get_or_create(version="7.0.0")
    return owner, release


def add_clusters(owner: Any, release: Any, jobflow_ids: list[str], state: str, **fields: Any) -> list[Any]:
    """A cluster of ``owner`` in ``state`` for each job flow id, bulk-created; ``fields`` for all."""
    from django.utils import timezone

    from atmo.clusters.models import Cluster

    return Cluster.objects.bulk_create(
        Cluster(
            identifier=f"sweep-{number}",
            size=1,
            created_by=owner,
            emr_release=release,
            jobflow_id=jobflow_id,
            most_recent_status=state,
            expires_at=timezone.now() + timedelta(hours=8),
            **fields,
        )
        for number, jobflow_id in enumerate(jobflow_ids)
    )


def add_runs(owner: Any, release: Any, jobflow_ids: list[str], state: str, **fields: Any) -> list[Any]:
    """A job of ``owner`` for each job flow id, each with one run in ``state`` on it, bulk-created;
    ``fields`` for every run. The jobs started an hour before their runs' ``scheduled_at``."""
    from django.utils import timezone

    from atmo.jobs.models import SparkJob, SparkJobRun

    scheduled_at = fields.setdefault("scheduled_at", timezone.now() - timedelta(minutes=30))
    jobs = SparkJob.objects.bulk_create(
        SparkJob(
            identifier=f"sweep-{number}",
            notebook_s3_key=f"jobs/sweep-{number}/report.ipynb",
            size=1,
            job_timeout=2,
            start_date=scheduled_at - timedelta(hours=1),
            created_by=owner,
            emr_release=release,
        )
        for number in range(len(jobflow_ids))
    )
    return SparkJobRun.objects.bulk_create(
        SparkJobRun(spark_job=job, jobflow_id=jobflow_id, status=state, size=1, **fields)
        for job, jobflow_id in zip(jobs, jobflow_ids, strict=True)
    )


def cluster_sweep_costs(count: int) -> tuple[SweepCost, SweepCost]:
    """``update_clusters`` over ``count`` clusters: nothing changed, and every state changed."""
    from django.utils import timezone

    from atmo.clusters.models import Cluster
    from atmo.clusters.tasks import update_clusters

    owner, release = owner_and_release()
    before = timezone.now() - timedelta(hours=1)
    add_clusters(owner, release, start_emr_clusters(count), Cluster.STATUS_STARTING, created_at=before)
    sweep_cost(update_clusters)  # copies EMR's view (WAITING, its address) onto every row
    unchanged = sweep_cost(update_clusters)
    # EMR says WAITING, the rows RUNNING: every row changes (its address is known already).
    Cluster.objects.filter(identifier__startswith="sweep-").update(most_recent_status=Cluster.STATUS_RUNNING)
    changed = sweep_cost(update_clusters)
    assert not Cluster.objects.filter(identifier__startswith="sweep-").exclude(most_recent_status="WAITING")
    return unchanged, changed


def job_sweep_costs(count: int) -> tuple[SweepCost, SweepCost]:
    """``update_jobs_statuses`` over ``count`` runs (one per job): nothing changed, every state changed."""
    from django.utils import timezone

    from atmo.jobs.models import SparkJobRun
    from atmo.jobs.tasks import update_jobs_statuses

    owner, release = owner_and_release()
    started = timezone.now() - timedelta(minutes=30)
    runs = add_runs(owner, release, start_emr_clusters(count), SparkJobRun.State.STARTING, created_at=started)
    sweep_cost(update_jobs_statuses)  # copies EMR's view (WAITING) onto every run
    unchanged = sweep_cost(update_jobs_statuses)
    SparkJobRun.objects.filter(pk__in=[run.pk for run in runs]).update(status=SparkJobRun.State.RUNNING)
    changed = sweep_cost(update_jobs_statuses)
    return unchanged, changed


@contextmanager
def mocked_aws() -> Iterator[None]:
    """An in-process moto behind every boto3 client, with dummy credentials."""
    import os

    from moto import mock_aws

    environment = {
        "AWS_ACCESS_KEY_ID": "sweeps",
        "AWS_SECRET_ACCESS_KEY": "sweeps",
        "AWS_ENDPOINT_URL": "",
    }
    with mock.patch.dict(os.environ, environment), mock_aws():
        os.environ.pop("AWS_ENDPOINT_URL")
        yield


def print_sweep_figures(clusters: int = SWEEP_CLUSTERS, runs: int = SWEEP_RUNS) -> None:
    import logging

    # A line per follow-up task would drown the figures.
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    with mocked_aws():
        cluster_unchanged, cluster_changed = cluster_sweep_costs(clusters)
    with mocked_aws():
        job_unchanged, job_changed = job_sweep_costs(runs)
    print("Status sweeps: SQL queries and AWS calls of one run (follow-up tasks included), in-process moto")
    print(f"  update_clusters, {clusters} clusters, nothing changed:        {cluster_unchanged}")
    print(f"  update_clusters, {clusters} clusters, every state changed:    {cluster_changed}")
    print(f"  update_jobs_statuses, {runs} runs, nothing changed:        {job_unchanged}")
    print(f"  update_jobs_statuses, {runs} runs, every state changed:    {job_changed}")
