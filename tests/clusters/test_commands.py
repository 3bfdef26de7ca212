from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from atmo.clusters.models import Cluster
from tests.aws import AWSStubs
from tests.clusters.factories import ClusterFactory
from tests.clusters.helpers import emr_cluster

pytestmark = pytest.mark.django_db


def test_deactivate_clusters_terminates_expired_clusters(user: Any, aws: AWSStubs, capsys: Any) -> None:
    cluster = ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="WAITING")
    Cluster.objects.filter(pk=cluster.pk).update(expires_at=timezone.now() - timedelta(minutes=5))
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-1"]})
    aws.emr.add_response(
        "describe_cluster", {"Cluster": emr_cluster("j-1", "TERMINATING")}, {"ClusterId": "j-1"}
    )
    call_command("deactivate_clusters")
    cluster.refresh_from_db()
    assert cluster.is_terminating
    out = capsys.readouterr().out
    assert f"{cluster.identifier} (#{cluster.pk}): termination requested" in out
    assert "1 expired cluster(s) deactivated." in out


def test_deactivate_clusters_says_a_request_was_withdrawn(user: Any, aws: AWSStubs, capsys: Any) -> None:
    cluster = ClusterFactory(created_by=user, requested=True)  # REQUESTED: EMR has not seen it
    Cluster.objects.filter(pk=cluster.pk).update(expires_at=timezone.now() - timedelta(minutes=5))
    call_command("deactivate_clusters")
    out = capsys.readouterr().out
    assert f"{cluster.identifier} (#{cluster.pk}): request withdrawn before AWS started it" in out


def test_update_clusters_syncs_from_emr(user: Any, aws: AWSStubs, capsys: Any) -> None:
    cluster = ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="STARTING")
    aws.emr.add_response("list_clusters", {"Clusters": [emr_cluster("j-1", "BOOTSTRAPPING")]}, None)
    call_command("update_clusters")
    cluster.refresh_from_db()
    assert cluster.most_recent_status == "BOOTSTRAPPING"
    assert "1 active cluster(s) updated." in capsys.readouterr().out


def test_update_clusters_reports_aws_refusing(user: Any, aws: AWSStubs) -> None:
    ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="STARTING")
    aws.emr.add_client_error("list_clusters", "AccessDeniedException", "Not authorized.", 403)
    with pytest.raises(
        CommandError, match=r"The clusters could not be listed: AWS refused \(Not authorized\)\."
    ):
        call_command("update_clusters")
