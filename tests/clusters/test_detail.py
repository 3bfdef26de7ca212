"""The cluster page: its state, timeline and access commands, polled with HEAD."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.clusters.tasks import provision_cluster
from atmo.decorators import MODIFIED_DATE_HEADER
from tests.aws import AWSStubs
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory

pytestmark = pytest.mark.django_db


def test_detail_shows_a_ready_cluster_with_its_access_commands(client_for: Any, cluster: Cluster) -> None:
    response = client_for(cluster.created_by).get(cluster.urls.detail)

    assert response.status_code == 200
    body = response.content.decode()
    master = cluster.master_address
    assert "ready-curie" in body
    assert ">Ready</span>" in body
    assert f"<code>ssh hadoop@{master}</code>" in body
    assert f"<code>ssh -L 8888:localhost:8888 hadoop@{master}</code>" in body
    assert f"<code>ssh -L 8890:localhost:8890 hadoop@{master}</code>" in body
    assert 'data-copy-target="#ssh-command"' in body
    # Each copy button copies its own command.
    for command_id, command in [
        ("ssh-command", f"ssh hadoop@{master}"),
        ("jupyter-command", f"ssh -L 8888:localhost:8888 hadoop@{master}"),
        ("zeppelin-command", f"ssh -L 8890:localhost:8890 hadoop@{master}"),
    ]:
        target = re.search(
            rf'id="{command_id}"><code>([^<]*)</code></pre>\s*<button[^>]*data-copy-target="#([^"]+)"', body
        )
        assert target is not None, command_id
        assert target.groups() == (command, command_id)
    assert 'href="http://localhost:8888"' in body
    assert "Automatic shutdown at" in body
    assert f'href="{cluster.urls.terminate}"' in body
    assert f'href="{cluster.urls.extend}"' in body
    assert 'id="live-cluster-main"' in body
    assert 'id="live-poller"' in body
    assert 'hx-trigger="every 10s"' in body


def test_detail_sends_the_modified_date_header(client_for: Any, cluster: Cluster) -> None:
    response = client_for(cluster.created_by).get(cluster.urls.detail)
    assert response[MODIFIED_DATE_HEADER] == cluster.modified_at.isoformat()
    assert f'data-modified-date="{cluster.modified_at.isoformat()}"' in response.content.decode()


def test_detail_of_a_starting_cluster_says_it_updates_by_itself(client_for: Any, owner: Any) -> None:
    cluster = ClusterFactory(created_by=owner, starting=True)
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert "Your cluster is starting; this page updates by itself." in body
    assert "spinner-border" in body
    assert "ssh hadoop@" not in body


def test_detail_of_a_failed_cluster_explains_why_and_offers_no_actions(client_for: Any, owner: Any) -> None:
    cluster = ClusterFactory(created_by=owner, failed=True, status_message="Bootstrap <script> failed")
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert "The cluster failed." in body
    assert "Bootstrap &lt;script&gt; failed" in body
    assert "Automatic shutdown" not in body
    assert f'href="{cluster.urls.terminate}"' not in body
    assert f'href="{cluster.urls.extend}"' not in body
    assert "Extend lifetime" not in body and "Terminate now" not in body
    assert "Expires" not in body


def test_a_cluster_aws_refuses_to_start_shows_the_refusal_on_its_page(
    client_for: Any, owner: Any, aws: AWSStubs
) -> None:
    cluster = ClusterFactory(created_by=owner, requested=True)
    reason = "User: arn:aws:iam::123:user/atmo is not authorized to perform: elasticmapreduce:RunJobFlow"
    aws.add_spark_configuration()
    aws.emr.add_client_error("run_job_flow", "AccessDeniedException", reason, 400)

    with mock.patch.object(provision_cluster, "retry", autospec=True) as retry:
        assert provision_cluster(cluster.pk) is None

    retry.assert_not_called()  # a refusal is not worth retrying
    cluster.refresh_from_db()
    assert cluster.is_failed
    refusal = f"The cluster could not be started: AWS refused ({reason})."
    assert (
        cluster.status_message == f"{refusal} Please try again, and tell the ATMO team if it keeps failing."
    )
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert "The cluster failed." in body
    assert refusal in body


def test_detail_shows_the_timeline_with_durations(client_for: Any, owner: Any) -> None:
    created = timezone.now() - timedelta(days=1, hours=3)
    cluster = ClusterFactory(created_by=owner, terminated=True)
    Cluster.objects.filter(pk=cluster.pk).update(
        created_at=created,
        started_at=created + timedelta(seconds=40),
        ready_at=created + timedelta(minutes=7, seconds=10),
        finished_at=created + timedelta(days=1, hours=2, minutes=7, seconds=10),
    )
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert ">40 s</span>" in body
    assert ">6 min 30 s</span>" in body
    assert ">1 d 2 h</span>" in body


def test_detail_of_a_cluster_whose_key_was_deleted(client_for: Any, cluster: Cluster) -> None:
    cluster.ssh_key.delete()
    body = client_for(cluster.created_by).get(cluster.urls.detail).content.decode()
    assert "deleted key" in body


def test_detail_shows_the_release_badge_help_and_size(client_for: Any, owner: Any) -> None:
    release = EMRReleaseFactory(version="7.2.0", is_experimental=True, help_text="Spark 3.5 preview.")
    cluster = ClusterFactory(created_by=owner, emr_release=release, size=3)
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert '7.2.0 <span class="badge text-bg-info">experimental</span>' in body
    assert "Spark 3.5 preview." in body
    assert f'<a href="{release.changelog_url}" target="_blank" rel="noopener">What is in 7.2.0</a>' in body
    assert "3 nodes" in body


def test_a_terminated_cluster_shows_when_and_why_it_ended_and_its_cost(client_for: Any, owner: Any) -> None:
    ended = timezone.now() - timedelta(hours=1)
    cluster = ClusterFactory(
        created_by=owner,
        most_recent_status="TERMINATED",
        finished_at=ended,
        termination_reason="Terminated by its owner.",
        master_address="master.example.com",
        cost=Decimal("3.20"),
        lifetime_extension_count=1,
    )

    body = client_for(owner).get(cluster.urls.detail).content.decode()

    assert f"it ended on {ended:%Y-%m-%d %H:%M} UTC" in body
    assert "Terminated by its owner." in body
    assert "$3.20" in body
    for gone in (
        "Extend lifetime",
        "Terminate now",
        "Expires",
        "Automatic shutdown",
        "ssh hadoop@",
        "extendable",
    ):
        assert gone not in body, gone


def test_an_active_clusters_lifetime_says_it_is_extendable(client_for: Any, owner: Any) -> None:
    cluster = ClusterFactory(created_by=owner, most_recent_status="WAITING", lifetime=8)

    body = client_for(owner).get(cluster.urls.detail).content.decode()

    assert ">8 hours, extendable</dd>" in body
    assert "Expires" in body
