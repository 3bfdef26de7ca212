"""Actual cost: EMR's NormalizedInstanceHours from the sweep's listing, priced, and where users see it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from botocore.stub import ANY
from django.urls import reverse
from django.utils import timezone

from atmo.clusters import tasks as cluster_tasks
from atmo.clusters.models import Cluster
from atmo.costs.models import InstancePrice
from atmo.costs.spend import month_start, month_to_date
from atmo.jobs import tasks as job_tasks
from atmo.jobs.models import SparkJobRun
from atmo.provisioners import Provisioner
from tests.aws import AWSStubs
from tests.clusters.factories import ClusterFactory
from tests.clusters.helpers import emr_cluster
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory

pytestmark = pytest.mark.django_db


def listed(jobflow_id: str, state: str, hours: int) -> dict[str, Any]:
    started = timezone.now() - timedelta(minutes=30)
    return {**emr_cluster(jobflow_id, state, started, started), "NormalizedInstanceHours": hours}


def test_the_listing_carries_normalized_instance_hours() -> None:
    assert Provisioner.format_list(listed("j-1", "WAITING", 96)).normalized_instance_hours == 96
    assert Provisioner.format_list(emr_cluster("j-2")).normalized_instance_hours is None


def test_the_cluster_sweep_stores_hours_and_cost_with_one_listing_call(
    aws: AWSStubs, user: Any, live_setting: Any
) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=True)
    cluster = ClusterFactory(created_by=user, size=3, jobflow_id="j-C")
    # Size 3 for two started hours: 4 c3.4xlarge × 2 h × 32.
    aws.emr.add_response(
        "list_clusters", {"Clusters": [listed("j-C", "WAITING", 256)]}, {"CreatedAfter": ANY}
    )
    with mock.patch.object(cluster_tasks.update_master_address, "delay"):
        cluster_tasks.update_clusters()
    # The Stubber fails on any call not queued: one ListClusters, nothing else.
    cluster.refresh_from_db()
    assert cluster.normalized_instance_hours == 256
    # 2 h × (master 0.84 + 0.21, and 3 spot core nodes at 0.27 + 0.21)
    assert cluster.cost == Decimal("4.9800")


def test_a_later_sweep_updates_the_growing_cost(aws: AWSStubs, user: Any, live_setting: Any) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=False)
    cluster = ClusterFactory(created_by=user, size=1, jobflow_id="j-C")
    for hours in (32, 64):
        aws.emr.add_response(
            "list_clusters", {"Clusters": [listed("j-C", "WAITING", hours)]}, {"CreatedAfter": ANY}
        )
        cluster_tasks.update_clusters()
    cluster.refresh_from_db()
    assert cluster.cost == Decimal("2.1000")  # 2 h × (0.84 + 0.21)


def test_the_job_sweep_prices_each_run(aws: AWSStubs, user: Any, live_setting: Any) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=False)
    run = SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user, size=2), jobflow_id="j-RUN")
    aws.emr.add_response(
        "list_clusters", {"Clusters": [listed("j-RUN", "RUNNING", 96)]}, {"CreatedAfter": ANY}
    )
    job_tasks.update_jobs_statuses()
    run.refresh_from_db()
    assert run.normalized_instance_hours == 96
    assert run.cost == Decimal("3.1500")  # 3 instances × 1 h × 1.05


def test_without_a_price_the_cost_stays_unknown(aws: AWSStubs, user: Any) -> None:
    InstancePrice.objects.all().delete()
    cluster = ClusterFactory(created_by=user, jobflow_id="j-C")
    aws.emr.add_response("list_clusters", {"Clusters": [listed("j-C", "WAITING", 32)]}, {"CreatedAfter": ANY})
    cluster_tasks.update_clusters()
    cluster.refresh_from_db()
    assert (cluster.normalized_instance_hours, cluster.cost) == (32, None)


def test_the_cluster_page_shows_its_cost(client_for: Any, user: Any) -> None:
    cluster = ClusterFactory(created_by=user, normalized_instance_hours=64, cost=Decimal("2.1"))
    body = client_for(user).get(cluster.urls.detail).content.decode()
    assert "$2.10" in body
    assert "64 normalized instance hours" in body


def test_the_job_history_shows_each_runs_cost(client_for: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    SparkJobRunFactory(spark_job=job, status="TERMINATED", cost=Decimal("3.15"))
    body = client_for(user).get(job.urls.detail).content.decode()
    assert '<td data-label="Cost" class="text-end text-nowrap" data-testid="run-cost">$3.15</td>' in body


def test_the_dashboard_shows_this_months_spend_of_the_user_only(
    client_for: Any, user: Any, user2: Any
) -> None:
    ClusterFactory(created_by=user, cost=Decimal("2.10"))
    SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), cost=Decimal("3.15"))
    last_month = ClusterFactory(created_by=user, cost=Decimal("100"))
    Cluster.objects.filter(pk=last_month.pk).update(created_at=month_start() - timedelta(seconds=1))
    ClusterFactory(created_by=user2, cost=Decimal("50"))

    assert month_to_date(user) == Decimal("5.25")
    body = client_for(user).get(reverse("dashboard")).content.decode()
    assert "$5.25" in body
    assert SparkJobRun.objects.count() == 1
