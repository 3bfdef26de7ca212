"""Cluster.deactivate(): what it does in each state, and its races with provisioning."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from atmo.clusters.models import Cluster, Deactivation
from tests.aws import AWSStubs
from tests.clusters.factories import ClusterFactory
from tests.clusters.helpers import emr_cluster, on_emr_call

pytestmark = pytest.mark.django_db

JOBFLOW_ID = "j-RACE"


def requested(user: Any) -> Cluster:
    """A request the provisioning task has not picked up yet."""
    return ClusterFactory(created_by=user, requested=True)


def expect_start(aws: AWSStubs) -> None:
    aws.add_spark_configuration()
    aws.emr.add_response("run_job_flow", {"JobFlowId": JOBFLOW_ID}, None)


def expect_stop(aws: AWSStubs, describe: bool = True) -> None:
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": [JOBFLOW_ID]})
    if describe:
        aws.emr.add_response(
            "describe_cluster", {"Cluster": emr_cluster(JOBFLOW_ID, "TERMINATING")}, {"ClusterId": JOBFLOW_ID}
        )


def test_a_request_emr_has_not_seen_is_withdrawn_without_asking_aws(user: Any, aws: AWSStubs) -> None:
    cluster = requested(user)

    assert cluster.deactivate() == Deactivation.WITHDRAWN

    cluster.refresh_from_db()
    assert cluster.is_terminated
    assert cluster.status_message == "Terminated by its owner. AWS had not started it yet."
    assert cluster.finished_at is not None


def test_a_request_provisioned_since_it_was_read_is_terminated_at_emr(user: Any, aws: AWSStubs) -> None:
    """The terminate page read the row just before the provisioning task stored its job flow id."""
    cluster = requested(user)
    stale = Cluster.objects.get(pk=cluster.pk)
    expect_start(aws)
    cluster.provision()
    expect_stop(aws)

    assert stale.deactivate() == Deactivation.TERMINATING

    row = Cluster.objects.get(pk=cluster.pk)
    assert (row.jobflow_id, row.most_recent_status) == (JOBFLOW_ID, Cluster.STATUS_TERMINATING)


@pytest.mark.django_db(transaction=True)
def test_terminate_and_provisioning_on_two_connections_leave_nothing_running_untracked(
    user: Any, aws: AWSStubs
) -> None:
    """The user's "Terminate now" waits for the provisioning's row lock, then stops what EMR started."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a database that takes concurrent connections (PostgreSQL)")
    cluster = requested(user)
    expect_start(aws)
    expect_stop(aws)
    in_flight = threading.Event()

    def slow_start() -> None:
        in_flight.set()
        time.sleep(0.5)  # The user's click lands now, while the row is locked.

    on_emr_call(aws, "RunJobFlow", slow_start)
    outcomes: list[Deactivation] = []

    def provision() -> None:
        try:
            Cluster.objects.get(pk=cluster.pk).provision()
        finally:
            connection.close()

    def terminate() -> None:
        in_flight.wait(timeout=10)
        try:
            outcomes.append(Cluster.objects.get(pk=cluster.pk).deactivate())
        finally:
            connection.close()

    threads = [threading.Thread(target=provision), threading.Thread(target=terminate)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == [Deactivation.TERMINATING]
    row = Cluster.objects.get(pk=cluster.pk)
    assert (row.jobflow_id, row.most_recent_status) == (JOBFLOW_ID, Cluster.STATUS_TERMINATING)


def test_a_request_that_failed_meanwhile_has_nothing_to_stop(user: Any, aws: AWSStubs) -> None:
    cluster = requested(user)
    stale = Cluster.objects.get(pk=cluster.pk)
    cluster.mark_failed("AWS refused to start the cluster: no capacity.")

    assert stale.deactivate() == Deactivation.ALREADY_OVER

    row = Cluster.objects.get(pk=cluster.pk)
    assert row.is_failed
    assert row.status_message == "AWS refused to start the cluster: no capacity."


def test_an_accepted_termination_whose_state_cannot_be_read_back_says_terminating(
    user: Any, aws: AWSStubs
) -> None:
    cluster = ClusterFactory(
        created_by=user, requested=True, jobflow_id=JOBFLOW_ID, most_recent_status="WAITING"
    )
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": [JOBFLOW_ID]})
    aws.emr.add_client_error("describe_cluster", "ThrottlingException", "Rate exceeded", 400)

    assert cluster.deactivate() == Deactivation.TERMINATING

    cluster.refresh_from_db()
    assert cluster.is_terminating
    assert cluster.status_message == "Terminated by its owner. Waiting for AWS to confirm it."
