"""What one run of ``update_clusters`` costs: SQL queries and AWS calls, at 5 and at 500 clusters.

Nothing changed: one query, whatever the number of clusters. Every cluster changed: the
changed rows are written by one UPDATE per listing page, not one per row. AWS: one
ListClusters per 50 job flows listed, and a DescribeCluster (in a task of its own) only
for a cluster that just became ready without a master address.
"""

from __future__ import annotations

from datetime import timedelta
from math import ceil
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from atmo.clusters import tasks
from atmo.clusters.models import Cluster, EMRRelease
from localdev.sweep_counts import add_clusters, aws_calls
from tests.aws import AWSStubs
from tests.clusters.helpers import add_listing, emr_cluster

pytestmark = pytest.mark.django_db

STARTED = timezone.now() - timedelta(hours=1)
READY = STARTED + timedelta(minutes=5)


def make_clusters(user: Any, count: int, state: str, address: str = "master.example.com") -> list[Cluster]:
    """``count`` clusters as the last sweep left them: ``state``, started and (if up) ready."""
    release, _ = EMRRelease.objects.get_or_create(version="7.0.0")
    up = state in Cluster.READY_STATUS_LIST
    return add_clusters(
        user,
        release,
        [f"j-{number}" for number in range(count)],
        state,
        started_at=STARTED,
        ready_at=READY if up else None,
        master_address=address if up else "",
        created_at=STARTED,
    )


def sweep(aws: AWSStubs, count: int, listed_state: str) -> tuple[int, dict[str, int], mock.MagicMock]:
    """One sweep with EMR listing the ``count`` clusters ``listed_state``, ready since READY.

    Returns the queries, the AWS calls by operation and the mocked follow-up task's ``delay``.
    """
    add_listing(aws, [emr_cluster(f"j-{number}", listed_state, STARTED, READY) for number in range(count)])
    with (
        mock.patch.object(tasks.update_master_address, "delay") as follow_up,
        aws_calls() as calls,
        CaptureQueriesContext(connection) as queries,
    ):
        synced = tasks.update_clusters()
    assert len(synced) == count
    return len(queries.captured_queries), dict(calls), follow_up


@pytest.mark.parametrize("count", [5, 500])
def test_nothing_changed_costs_one_query_and_a_listing_call_per_50(
    user: Any, aws: AWSStubs, count: int
) -> None:
    make_clusters(user, count, "WAITING")

    queries, calls, follow_up = sweep(aws, count, "WAITING")

    assert queries == 1  # the active clusters; no query per unchanged cluster
    assert calls == {"ListClusters": ceil(count / 50)}
    assert not follow_up.called


@pytest.mark.parametrize("count", [5, 500])
def test_every_cluster_changed_is_written_in_one_update_per_listing_page(
    user: Any, aws: AWSStubs, count: int
) -> None:
    make_clusters(user, count, "RUNNING")  # EMR says WAITING now; the address is known

    queries, calls, follow_up = sweep(aws, count, "WAITING")

    pages = ceil(count / 50)
    # The active clusters, then per page a savepoint, one UPDATE and its release (the
    # test's transaction turns the sweep's into a savepoint).
    assert queries == 1 + 3 * pages
    assert calls == {"ListClusters": pages}
    assert not follow_up.called  # their addresses are known
    assert Cluster.objects.filter(most_recent_status="WAITING").count() == count


@pytest.mark.parametrize("count", [5, 500])
def test_only_clusters_that_just_became_ready_without_an_address_get_a_describe_task(
    user: Any, aws: AWSStubs, count: int, django_capture_on_commit_callbacks: Any
) -> None:
    make_clusters(user, count, "STARTING")  # no address yet

    with django_capture_on_commit_callbacks(execute=True):
        queries, calls, follow_up = sweep(aws, count, "WAITING")

    assert calls == {"ListClusters": ceil(count / 50)}  # no DescribeCluster within the sweep
    assert follow_up.call_count == count
    assert sorted(call.args[0] for call in follow_up.call_args_list) == sorted(
        Cluster.objects.values_list("pk", flat=True)
    )


def test_a_ready_cluster_without_an_address_is_not_described_again_by_each_sweep(
    user: Any, aws: AWSStubs, django_capture_on_commit_callbacks: Any
) -> None:
    make_clusters(user, 3, "WAITING", address="")

    with django_capture_on_commit_callbacks(execute=True):
        queries, calls, follow_up = sweep(aws, 3, "WAITING")

    assert queries == 1
    assert calls == {"ListClusters": 1}
    assert not follow_up.called
