"""Terminating a cluster from its page, and what the user is told of each outcome."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from atmo.clusters.models import Cluster
from tests.aws import AWSStubs, unreachable
from tests.clusters.factories import ClusterFactory
from tests.clusters.pages import describe_response, messages_of

pytestmark = pytest.mark.django_db


def test_terminate_asks_for_confirmation(client_for: Any, cluster: Cluster, no_aws_stop: Any) -> None:
    response = client_for(cluster.created_by).get(cluster.urls.terminate)
    assert response.status_code == 200
    assert "Terminate ready-curie now?" in response.content.decode()
    no_aws_stop.assert_not_called()


def test_terminate_asks_emr_and_records_its_answer(client_for: Any, cluster: Cluster, emr: Stubber) -> None:
    emr.add_response("terminate_job_flows", {}, {"JobFlowIds": [cluster.jobflow_id]})
    emr.add_response(
        "describe_cluster", describe_response(cluster, "TERMINATING"), {"ClusterId": cluster.jobflow_id}
    )

    response = client_for(cluster.created_by).post(cluster.urls.terminate)

    emr.assert_no_pending_responses()
    cluster.refresh_from_db()
    assert cluster.most_recent_status == Cluster.STATUS_TERMINATING
    assert response["Location"] == cluster.urls.detail
    assert "is shutting down" in messages_of(response)[0]


@pytest.mark.parametrize("trait", ["terminated", "failed"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_terminating_a_cluster_that_is_already_gone_does_not_call_aws(
    client_for: Any, owner: Any, no_aws_stop: Any, trait: str, method: str
) -> None:
    cluster = ClusterFactory(created_by=owner, **{trait: True})
    response = getattr(client_for(owner), method)(cluster.urls.terminate)
    assert response.status_code == 302
    assert response["Location"] == cluster.urls.detail
    assert "already terminated" in messages_of(response)[0]
    no_aws_stop.assert_not_called()


def test_terminating_a_cluster_that_is_shutting_down_does_not_call_aws(
    client_for: Any, owner: Any, no_aws_stop: Any
) -> None:
    cluster = ClusterFactory(created_by=owner, terminating=True)
    response = client_for(owner).post(cluster.urls.terminate)
    assert "already shutting down" in messages_of(response)[0]
    no_aws_stop.assert_not_called()


def test_terminating_a_cluster_aws_never_started_needs_no_aws(
    client_for: Any, owner: Any, no_aws_stop: Any
) -> None:
    cluster = ClusterFactory(created_by=owner, requested=True)
    response = client_for(owner).post(cluster.urls.terminate)
    cluster.refresh_from_db()
    assert cluster.most_recent_status == Cluster.STATUS_TERMINATED
    assert messages_of(response) == [
        f"Cluster <strong>{cluster.identifier}</strong> is terminated; AWS had not started it yet."
    ]
    no_aws_stop.assert_not_called()


def test_terminate_accepted_by_emr_says_so_when_its_state_cannot_be_read_back(
    client_for: Any, cluster: Cluster, emr: Stubber
) -> None:
    emr.add_response("terminate_job_flows", {}, {"JobFlowIds": [cluster.jobflow_id]})
    emr.add_client_error("describe_cluster", "ThrottlingException", "Rate exceeded", 400)

    response = client_for(cluster.created_by).post(cluster.urls.terminate)

    emr.assert_no_pending_responses()
    [message] = messages_of(response)
    assert message == "Cluster <strong>ready-curie</strong> is shutting down."
    cluster.refresh_from_db()
    assert cluster.most_recent_status == Cluster.STATUS_TERMINATING
    body = client_for(cluster.created_by).get(cluster.urls.detail).content.decode()
    assert "The cluster is shutting down" in body


def test_terminating_a_cluster_aws_no_longer_knows_says_it_was_already_gone(
    client_for: Any, cluster: Cluster, emr: Stubber
) -> None:
    emr.add_client_error(
        "terminate_job_flows",
        service_error_code="InvalidRequestException",
        service_message=f"Cluster id '{cluster.jobflow_id}' is not valid.",
        http_status_code=400,
    )

    response = client_for(cluster.created_by).post(cluster.urls.terminate)

    [message] = messages_of(response)
    assert message == "Cluster <strong>ready-curie</strong> was already gone: AWS no longer knows it."
    assert "shutting down" not in message
    cluster.refresh_from_db()
    assert cluster.is_terminated


@pytest.mark.parametrize(
    "code, aws_message, expected",
    [
        ("ThrottlingException", "Rate exceeded", "AWS is busy and asked us to slow down (Rate exceeded)"),
        (
            "AccessDeniedException",
            "User is not authorized to perform elasticmapreduce:TerminateJobFlows",
            "The cluster could not be terminated: AWS refused (User is not authorized",
        ),
    ],
)
def test_terminate_reports_what_aws_said_and_changes_nothing(
    client_for: Any, cluster: Cluster, emr: Stubber, code: str, aws_message: str, expected: str
) -> None:
    emr.add_client_error(
        "terminate_job_flows", service_error_code=code, service_message=aws_message, http_status_code=400
    )
    before = Cluster.objects.values().get(pk=cluster.pk)

    response = client_for(cluster.created_by).post(cluster.urls.terminate)

    assert response.status_code == 302
    assert response["Location"] == cluster.urls.detail
    [message] = messages_of(response)
    assert expected in message
    assert "try again" in message
    assert Cluster.objects.values().get(pk=cluster.pk) == before


def test_terminate_when_aws_cannot_be_reached_says_so_and_changes_nothing(
    client_for: Any, cluster: Cluster, aws: AWSStubs
) -> None:
    before = Cluster.objects.values().get(pk=cluster.pk)

    with unreachable(aws, "emr", "terminate_job_flows"):
        response = client_for(cluster.created_by).post(cluster.urls.terminate)

    assert response.status_code == 302
    [message] = messages_of(response)
    assert "AWS could not be reached" in message
    assert message.endswith("Nothing was changed. Please try again in a minute.")
    assert Cluster.objects.values().get(pk=cluster.pk) == before
