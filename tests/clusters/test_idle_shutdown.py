"""Idle shutdown: the timeout chosen at launch, EMR's auto-termination policy, the reason and the mail."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from botocore.stub import ANY
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from atmo.clusters import tasks
from atmo.clusters.forms import NewClusterForm
from atmo.clusters.models import Cluster
from atmo.clusters.provisioners import ClusterProvisioner
from tests.aws import AWSStubs
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.clusters.helpers import PUBLIC_KEY, emr_cluster
from tests.clusters.pages import new_cluster_post
from tests.clusters.test_tasks import add_listing
from tests.keys.factories import SSHKeyFactory

pytestmark = pytest.mark.django_db

IDLE_REASON = (
    "ALL_STEPS_COMPLETED",
    "Cluster was terminated by its auto-termination policy after being idle.",
)


def test_the_form_offers_the_live_default_within_the_live_bounds(owner: Any, live_setting: Any) -> None:
    live_setting(
        CLUSTER_IDLE_TIMEOUT_HOURS=3, CLUSTER_IDLE_TIMEOUT_MIN_HOURS=1, CLUSTER_IDLE_TIMEOUT_MAX_HOURS=6
    )
    field = NewClusterForm(owner).fields["idle_timeout"]
    assert field.initial == 3
    assert (field.widget.attrs["min"], field.widget.attrs["max"]) == (1, 6)


def test_a_default_outside_the_bounds_is_brought_within_them(owner: Any, live_setting: Any) -> None:
    live_setting(
        CLUSTER_IDLE_TIMEOUT_HOURS=30, CLUSTER_IDLE_TIMEOUT_MIN_HOURS=2, CLUSTER_IDLE_TIMEOUT_MAX_HOURS=500
    )
    field = NewClusterForm(owner).fields["idle_timeout"]
    assert field.initial == 30
    assert field.widget.attrs["max"] == 168  # EMR's own limit wins over the setting


@pytest.mark.parametrize(("hours", "error"), [(0, "at least 1 hour"), (7, "at most 6 hours")])
def test_an_idle_timeout_outside_the_bounds_is_refused(
    client_for: Any, owner: Any, live_setting: Any, hours: int, error: str
) -> None:
    live_setting(CLUSTER_IDLE_TIMEOUT_MIN_HOURS=1, CLUSTER_IDLE_TIMEOUT_MAX_HOURS=6)
    key = SSHKeyFactory(created_by=owner)
    release = EMRReleaseFactory()
    response = client_for(owner).post(
        reverse("clusters-new"), new_cluster_post(key, release, idle_timeout=hours)
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Cluster.objects.exists()


def test_the_chosen_idle_timeout_is_saved(
    client_for: Any, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    key = SSHKeyFactory(created_by=owner)
    release = EMRReleaseFactory()
    with django_capture_on_commit_callbacks():
        client_for(owner).post(reverse("clusters-new"), new_cluster_post(key, release, idle_timeout=5))
    assert Cluster.objects.get().idle_timeout == 5


def test_the_idle_timeout_goes_to_emr_as_the_auto_termination_policy(aws: AWSStubs) -> None:
    aws.add_spark_configuration()
    names = "Name LogUri ReleaseLabel Configurations Instances JobFlowRole ServiceRole Applications Tags"
    expected = dict.fromkeys([*names.split(), "VisibleToAllUsers", "BootstrapActions", "Steps"], ANY)
    expected["AutoTerminationPolicy"] = {"IdleTimeout": 3 * 3600}
    aws.emr.add_response("run_job_flow", {"JobFlowId": "j-IDLE"}, expected)
    jobflow_id = ClusterProvisioner().start(
        "alice", "a@example.com", "x", "7.1.0", 1, PUBLIC_KEY, idle_timeout=3
    )
    assert jobflow_id == "j-IDLE"


def test_the_cluster_page_shows_the_idle_timeout(client_for: Any, owner: Any) -> None:
    cluster = ClusterFactory(created_by=owner, idle_timeout=2)
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert "after 2 idle hours" in body


def sync_idle_stop(aws: AWSStubs, cluster: Cluster, state: str = "TERMINATED") -> None:
    started = timezone.now() - timedelta(hours=3)
    ended = timezone.now() if state == "TERMINATED" else None
    add_listing(aws, [emr_cluster(cluster.jobflow_id or "", state, started, started, ended, IDLE_REASON)])
    tasks.update_clusters()


def test_a_cluster_emr_stopped_for_idleness_says_so_and_mails_its_owner_once(
    aws: AWSStubs, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cluster = ClusterFactory(created_by=owner, idle_timeout=2)
    send_now = mock.patch.object(tasks.send_idle_stop_mail, "delay", side_effect=tasks.send_idle_stop_mail)
    with send_now as delay, django_capture_on_commit_callbacks(execute=True):
        sync_idle_stop(aws, cluster, "TERMINATING")
        sync_idle_stop(aws, cluster, "TERMINATED")  # the next sweep sees the end: no second mail
    assert delay.call_count == 1

    cluster.refresh_from_db()
    assert cluster.is_terminated
    assert cluster.status_message == "Stopped after 2 idle hours: no step ran for that long."
    assert cluster.idle_stopped_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [owner.email]
    assert "stopped after 2 idle hours" in mail.outbox[0].subject
    assert "ran no step for 2 hours" in mail.outbox[0].body


def test_the_cluster_page_gives_the_idle_stop_as_the_reason(client_for: Any, owner: Any) -> None:
    cluster = ClusterFactory(
        created_by=owner, idle_timeout=1, terminated=True, idle_stopped_at=timezone.now()
    )
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert "Stopped after 1 idle hour: no step ran for that long." in body


def test_a_user_termination_is_no_idle_stop(aws: AWSStubs, owner: Any) -> None:
    cluster = ClusterFactory(created_by=owner, idle_timeout=2)
    started = timezone.now() - timedelta(hours=1)
    reason = ("USER_REQUEST", "Terminated by user request")
    add_listing(
        aws, [emr_cluster(cluster.jobflow_id or "", "TERMINATED", started, started, timezone.now(), reason)]
    )
    tasks.update_clusters()
    cluster.refresh_from_db()
    assert cluster.idle_stopped_at is None
    assert cluster.status_message == "Terminated by user request"
    assert not mail.outbox


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_idle_mail_send_it_once(owner: Any) -> None:
    cluster = ClusterFactory(
        created_by=owner, idle_timeout=2, terminated=True, idle_stopped_at=timezone.now()
    )
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(tasks.send_idle_stop_mail(cluster.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1
