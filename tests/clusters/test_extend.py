"""Extending a cluster's lifetime, while it is active."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from atmo.clusters.models import Cluster
from tests.clusters.factories import ClusterFactory
from tests.clusters.pages import messages_of

pytestmark = pytest.mark.django_db


def test_extend_shows_the_form(client_for: Any, cluster: Cluster) -> None:
    response = client_for(cluster.created_by).get(cluster.urls.extend)
    assert response.status_code == 200
    assert 'name="extend-extension"' in response.content.decode()


def test_extend_pushes_the_expiry_back(client_for: Any, cluster: Cluster) -> None:
    expires_at = cluster.expires_at
    response = client_for(cluster.created_by).post(cluster.urls.extend, {"extend-extension": 4})

    cluster.refresh_from_db()
    assert cluster.expires_at == expires_at + timedelta(hours=4)
    assert cluster.lifetime_extension_count == 1
    assert response.status_code == 302
    assert response["Location"] == cluster.urls.detail
    assert f"{cluster.expires_at:%Y-%m-%d %H:%M} UTC" in messages_of(response)[0]


def test_extend_with_an_invalid_value_shows_the_error(client_for: Any, cluster: Cluster) -> None:
    response = client_for(cluster.created_by).post(cluster.urls.extend, {"extend-extension": 48})
    assert response.status_code == 200
    assert "Extend by at most 24 hours at a time." in response.content.decode()
    cluster.refresh_from_db()
    assert cluster.lifetime_extension_count == 0


@pytest.mark.parametrize("trait", ["terminated", "failed", "terminating"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cluster_that_is_not_active_cannot_be_extended(
    client_for: Any, owner: Any, trait: str, method: str
) -> None:
    cluster = ClusterFactory(created_by=owner, **{trait: True})
    expires_at = cluster.expires_at

    response = getattr(client_for(owner), method)(cluster.urls.extend, {"extend-extension": 4})

    assert response.status_code == 302
    assert response["Location"] == cluster.urls.detail
    assert messages_of(response) == ["This cluster is not active anymore, so its lifetime can't be extended."]
    cluster.refresh_from_db()
    assert cluster.expires_at == expires_at
    assert cluster.lifetime_extension_count == 0
