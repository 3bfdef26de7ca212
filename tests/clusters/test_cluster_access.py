"""Every cluster route: visitors log in first, other users get 403, a missing cluster is 404."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber
from django.urls import reverse

from atmo.clusters.models import Cluster
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db


CLUSTER_ROUTES = [
    ("get", "clusters-detail"),
    ("head", "clusters-detail"),
    ("get", "clusters-extend"),
    ("post", "clusters-extend"),
    ("get", "clusters-terminate"),
    ("post", "clusters-terminate"),
]


@pytest.mark.parametrize("method, name", CLUSTER_ROUTES)
def test_another_user_is_forbidden_on_every_cluster_route(
    client_for: Any, cluster: Cluster, stranger: Any, emr: Stubber, method: str, name: str
) -> None:
    before = Cluster.objects.values().get(pk=cluster.pk)
    response = getattr(client_for(stranger), method)(
        reverse(name, kwargs={"id": cluster.pk}), {"extend-extension": 4}
    )
    assert response.status_code == 403
    # The stubber has no responses queued: reaching AWS would have failed the test.
    assert Cluster.objects.values().get(pk=cluster.pk) == before


@pytest.mark.parametrize("method, name", CLUSTER_ROUTES)
def test_a_missing_cluster_is_not_found_on_every_route(
    client_for: Any, owner: Any, method: str, name: str
) -> None:
    response = getattr(client_for(owner), method)(reverse(name, kwargs={"id": 4242}))
    assert response.status_code == 404


@pytest.mark.parametrize("method, name", CLUSTER_ROUTES)
def test_cluster_routes_require_login(client: Any, cluster: Cluster, method: str, name: str) -> None:
    response = getattr(client, method)(reverse(name, kwargs={"id": cluster.pk}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users-login"))


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
@pytest.mark.parametrize("name", ["clusters-new", "clusters-detail", "clusters-extend", "clusters-terminate"])
def test_cluster_routes_refuse_methods_they_do_not_handle(
    client_for: Any, cluster: Cluster, emr: Stubber, method: str, name: str
) -> None:
    kwargs = {} if name == "clusters-new" else {"id": cluster.pk}
    before = Cluster.objects.values().get(pk=cluster.pk)
    response = getattr(client_for(cluster.created_by), method)(reverse(name, kwargs=kwargs))
    assert response.status_code == 405
    assert Cluster.objects.values().get(pk=cluster.pk) == before


def test_the_cluster_detail_refuses_post(client_for: Any, cluster: Cluster) -> None:
    assert client_for(cluster.created_by).post(cluster.urls.detail).status_code == 405


def test_a_superuser_may_open_any_cluster(client_for: Any, cluster: Cluster) -> None:
    admin = UserFactory(username="root@example.com", is_superuser=True, is_staff=True)
    assert client_for(admin).get(cluster.urls.detail).status_code == 200
