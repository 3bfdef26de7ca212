"""The key page and the raw key."""

from __future__ import annotations

from typing import Any

from tests.clusters.factories import ClusterFactory


def test_it_shows_type_fingerprint_the_key_and_a_raw_link(client_for: Any, user: Any, ssh_key: Any) -> None:
    response = client_for(user).get(f"/keys/{ssh_key.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert ssh_key.fingerprint.startswith("SHA256:")
    assert ssh_key.fingerprint in body
    assert "ED25519" in body
    assert "MD5" not in body
    assert f">{ssh_key.key}</textarea>" in body
    assert 'data-copy-target="#ssh-key-text"' in body
    assert f'href="/keys/{ssh_key.pk}/raw/"' in body
    assert ssh_key.created_at.strftime("%Y-%m-%d %H:%M") in body


def test_it_counts_only_the_active_clusters_using_the_key(client_for: Any, user: Any, ssh_key: Any) -> None:
    ClusterFactory(created_by=user, ssh_key=ssh_key, most_recent_status="WAITING")
    ClusterFactory(created_by=user, ssh_key=ssh_key, most_recent_status="RUNNING")
    ClusterFactory(created_by=user, ssh_key=ssh_key, most_recent_status="TERMINATED")

    response = client_for(user).get(f"/keys/{ssh_key.pk}/")

    assert response.context["active_cluster_count"] == 2
    assert "2 active clusters" in response.content.decode()


def test_the_raw_key_is_plain_text(client_for: Any, user: Any, ssh_key: Any) -> None:
    response = client_for(user).get(f"/keys/{ssh_key.pk}/raw/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == ssh_key.key
