"""A RunJobFlow whose answer the network loses, against the local AWS emulator.

The fault sits at the HTTP layer: a proxy lets the request reach the emulator,
which starts the cluster, and closes the connection before the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.conf import settings

from atmo import provisioners
from atmo.clusters.models import Cluster
from atmo.clusters.provisioners import CLUSTER_TAG
from atmo.jobs.provisioners import RUN_TAG
from localdev.aws.config import DUMMY_CREDENTIALS
from localdev.aws.server import LocalAWS
from localdev.faults import AnswerDroppingProxy
from tests.browser.local_stack import reset_moto, settings_buckets
from tests.clusters.factories import ClusterFactory
from tests.jobs.factories import SparkJobFactory


@pytest.fixture(scope="module")
def local_aws() -> Iterator[LocalAWS]:
    aws = LocalAWS("127.0.0.1", 0, speed=1.0, buckets=settings_buckets(), region=settings.AWS_DEFAULT_REGION)
    with aws:
        yield aws


@pytest.fixture
def lossy_aws(local_aws: LocalAWS, monkeypatch: pytest.MonkeyPatch) -> Iterator[AnswerDroppingProxy]:
    """ATMO's clients reach the emulator through a proxy that loses the next RunJobFlow answer."""
    reset_moto(local_aws.endpoint_url)
    local_aws.seed()
    proxy = AnswerDroppingProxy(upstream_port=int(local_aws.endpoint_url.rsplit(":", 1)[1]))
    proxy.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setattr(provisioners, "LOST_ANSWER_LOOKUP_DELAYS", (0.0, 0.5))
    proxy.drop_answers("RunJobFlow")
    yield proxy
    proxy.stop()


def emulator_clusters(local_aws: LocalAWS) -> list[dict[str, Any]]:
    emr = local_aws.client("emr")
    summaries = emr.get_paginator("list_clusters").paginate().build_full_result()["Clusters"]
    return [emr.describe_cluster(ClusterId=summary["Id"])["Cluster"] for summary in summaries]


def test_botocores_own_retries_would_start_a_second_cluster(
    local_aws: LocalAWS, lossy_aws: AnswerDroppingProxy
) -> None:
    """The fault is real: a client with retries resends the request, and EMR starts two clusters."""
    emr = boto3.client("emr", region_name=settings.AWS_DEFAULT_REGION)
    emr.run_job_flow(Name="resent", Instances={"KeepJobFlowAliveWhenNoSteps": True})
    assert lossy_aws.dropped == 1
    assert [cluster["Name"] for cluster in emulator_clusters(local_aws)] == ["resent", "resent"]


@pytest.mark.django_db
def test_a_cluster_whose_answer_was_lost_is_started_once_and_adopted(
    local_aws: LocalAWS, lossy_aws: AnswerDroppingProxy, user: Any
) -> None:
    cluster = ClusterFactory(created_by=user, requested=True)

    cluster.provision()

    assert lossy_aws.dropped == 1
    [started] = emulator_clusters(local_aws)
    assert {"Key": CLUSTER_TAG, "Value": str(cluster.pk)} in started["Tags"]
    cluster.refresh_from_db()
    assert (cluster.jobflow_id, cluster.most_recent_status) == (started["Id"], Cluster.STATUS_STARTING)


@pytest.mark.django_db
def test_a_job_run_whose_answer_was_lost_is_started_once_and_adopted(
    local_aws: LocalAWS, lossy_aws: AnswerDroppingProxy, user: Any
) -> None:
    job = SparkJobFactory(created_by=user)

    run = job.run()

    assert lossy_aws.dropped == 1
    [started] = emulator_clusters(local_aws)
    assert {"Key": RUN_TAG, "Value": str(run.pk)} in started["Tags"]
    run.refresh_from_db()
    assert (run.jobflow_id, run.status) == (started["Id"], Cluster.STATUS_STARTING)
    assert job.runs.count() == 1
