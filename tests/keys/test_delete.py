"""Deleting a key: a confirmation page, then the clusters launched with it live on."""

from __future__ import annotations

from typing import Any

from guardian.models import UserObjectPermission

from atmo.clusters.models import Cluster
from atmo.keys.models import SSHKey
from tests.clusters.factories import ClusterFactory


def test_the_confirmation_names_the_active_clusters_that_keep_running(
    client_for: Any, user: Any, ssh_key: Any
) -> None:
    ClusterFactory(created_by=user, ssh_key=ssh_key, most_recent_status="WAITING", identifier="curie")
    ClusterFactory(created_by=user, ssh_key=ssh_key, most_recent_status="TERMINATED", identifier="bohr")

    response = client_for(user).get(f"/keys/{ssh_key.pk}/delete/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "curie" in body
    assert "bohr" not in body
    assert "They keep running" in body
    assert "One finished cluster was launched with it" in body
    assert SSHKey.objects.filter(pk=ssh_key.pk).exists()


def test_the_confirmation_says_when_no_cluster_uses_the_key(client_for: Any, user: Any, ssh_key: Any) -> None:
    body = client_for(user).get(f"/keys/{ssh_key.pk}/delete/").content.decode()

    assert "No active cluster uses this key." in body


def test_posting_deletes_the_key_and_returns_to_the_list(client_for: Any, user: Any, ssh_key: Any) -> None:
    response = client_for(user).post(f"/keys/{ssh_key.pk}/delete/", follow=True)

    assert response.redirect_chain == [("/keys/", 302)]
    assert not SSHKey.objects.exists()
    assert "Key <strong>laptop</strong> deleted." in response.content.decode()


def test_clusters_launched_with_a_deleted_key_keep_existing_without_it(
    client_for: Any, user: Any, ssh_key: Any
) -> None:
    running = ClusterFactory(created_by=user, ssh_key=ssh_key, most_recent_status="WAITING")
    finished = ClusterFactory(created_by=user, ssh_key=ssh_key, most_recent_status="TERMINATED")

    client_for(user).post(f"/keys/{ssh_key.pk}/delete/")

    for cluster in (running, finished):
        cluster.refresh_from_db()
        assert cluster.ssh_key is None
    assert Cluster.objects.get(pk=running.pk).most_recent_status == "WAITING"


def test_a_deleted_key_takes_its_object_permissions_along(
    client_for: Any, user: Any, ssh_key: Any, django_capture_on_commit_callbacks: Any
) -> None:
    grants = UserObjectPermission.objects.filter(object_pk=str(ssh_key.pk), content_type__model="sshkey")
    assert grants.count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        client_for(user).post(f"/keys/{ssh_key.pk}/delete/")

    assert not grants.exists()
