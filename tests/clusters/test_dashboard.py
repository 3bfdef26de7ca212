from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from atmo.clusters.models import Cluster
from atmo.decorators import MODIFIED_DATE_HEADER
from atmo.views import DashboardView
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.keys.factories import SSHKeyFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner() -> Any:
    return UserFactory(username="alice@example.com")


@pytest.fixture
def clusters(owner: Any) -> dict[str, Cluster]:
    """One cluster of the owner in each state the filters tell apart."""
    return {
        "requested": ClusterFactory(created_by=owner, identifier="requested-one", requested=True),
        "ready": ClusterFactory(created_by=owner, identifier="ready-one"),
        "terminating": ClusterFactory(created_by=owner, identifier="terminating-one", terminating=True),
        "terminated": ClusterFactory(created_by=owner, identifier="terminated-one", terminated=True),
        "failed": ClusterFactory(created_by=owner, identifier="failed-one", failed=True),
    }


def shown(client: Any, query: str = "") -> list[str]:
    response = client.get(reverse("dashboard") + query)
    assert response.status_code == 200
    return [cluster.identifier for cluster in response.context["clusters"]]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"requested-one", "ready-one", "terminating-one"}),
        ("?clusters=active", {"requested-one", "ready-one", "terminating-one"}),
        ("?clusters=terminated", {"terminated-one"}),
        ("?clusters=failed", {"failed-one"}),
        ("?clusters=bogus", {"requested-one", "ready-one", "terminating-one"}),
        ("?clusters=all", {"requested-one", "ready-one", "terminating-one", "terminated-one", "failed-one"}),
    ],
)
def test_the_cluster_filters(
    client_for: Any, owner: Any, clusters: dict[str, Cluster], query: str, expected: set[str]
) -> None:
    assert set(shown(client_for(owner), query)) == expected


def test_the_active_cluster_filter_is_the_default_and_shows_the_running_clusters(
    client_for: Any, owner: Any, clusters: dict[str, Cluster]
) -> None:
    assert DashboardView.active_cluster_filter == "active"
    assert DashboardView.default_cluster_filter == DashboardView.active_cluster_filter
    assert DashboardView.active_cluster_filter in DashboardView.clusters_filters
    query = f"?clusters={DashboardView.active_cluster_filter}"
    assert set(shown(client_for(owner), query)) == {c.identifier for c in clusters.values() if c.is_active}


def test_clusters_are_listed_newest_first(client_for: Any, owner: Any) -> None:
    now = timezone.now()
    for age, name in [(3, "oldest"), (1, "newest"), (2, "middle")]:
        cluster = ClusterFactory(created_by=owner, identifier=name)
        Cluster.objects.filter(pk=cluster.pk).update(created_at=now - timedelta(hours=age))
    assert shown(client_for(owner)) == ["newest", "middle", "oldest"]


def test_only_the_users_own_clusters_are_listed(client_for: Any, owner: Any) -> None:
    ClusterFactory(created_by=owner, identifier="mine")
    ClusterFactory(created_by=UserFactory(), identifier="theirs")
    assert shown(client_for(owner), "?clusters=all") == ["mine"]


def test_group_permissions_and_superuser_status_do_not_fill_the_dashboard(
    client_for: Any, owner: Any
) -> None:
    theirs = ClusterFactory(created_by=UserFactory(), identifier="theirs")
    group = Group.objects.create(name="Cluster watchers")
    assign_perm("clusters.view_cluster", group, theirs)
    owner.groups.add(group)
    owner.is_superuser = True
    owner.save()
    assert shown(client_for(owner), "?clusters=all") == []


def test_the_table_shows_each_cluster(client_for: Any, owner: Any) -> None:
    cluster = ClusterFactory(created_by=owner, identifier="table-curie", size=4, failed=True)
    body = client_for(owner).get(reverse("dashboard") + "?clusters=failed").content.decode()
    assert f'<a href="{cluster.urls.detail}">table-curie</a>' in body
    assert "text-bg-danger" in body
    assert ">Failed</span>" in body
    assert f"{cluster.created_at:%Y-%m-%d %H:%M}" in body
    assert f'title="{cluster.finished_at:%Y-%m-%d %H:%M} UTC"' in body  # ended, on hover
    assert 'id="live-clusters"' in body


def test_an_empty_list_says_so(client_for: Any, owner: Any) -> None:
    body = client_for(owner).get(reverse("dashboard")).content.decode()
    assert "No active clusters." in body
    assert f'href="{reverse("clusters-new")}"' in body
    assert "Launch a cluster" in body


def count_queries(client: Any, url: str) -> int:
    """Queries of the page rendered (a hard reload), not of its answer from the page cache."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, HTTP_CACHE_CONTROL="no-cache")
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def fixed_name() -> Iterator[None]:
    """The launch form proposes a name no cluster has, so that it looks it up once."""
    with mock.patch("atmo.clusters.views.random_scientist", autospec=True, return_value="unique-name"):
        yield


@pytest.mark.parametrize(
    "url_of",
    [
        lambda cluster: reverse("dashboard") + "?clusters=all",
        lambda cluster: cluster.urls.detail,
        lambda cluster: cluster.urls.extend,
        lambda cluster: cluster.urls.terminate,
        lambda cluster: reverse("clusters-new"),
    ],
    ids=["dashboard", "detail", "extend", "terminate", "new"],
)
def test_the_number_of_queries_does_not_grow_with_the_number_of_clusters(
    client_for: Any, owner: Any, url_of: Any, fixed_name: None
) -> None:
    # Several releases, so that a missing select_related would show.
    releases = [EMRReleaseFactory(version=f"7.{minor}.0") for minor in range(3)]
    first = ClusterFactory(created_by=owner, emr_release=releases[0])
    ClusterFactory.create_batch(4, created_by=owner, emr_release=releases[1])
    client = client_for(owner)
    url = url_of(first)
    client.get(url)  # warm the caches (content types, session) before measuring

    with_five = count_queries(client, url)
    ClusterFactory.create_batch(195, created_by=owner, emr_release=releases[2])
    with_two_hundred = count_queries(client, url)

    assert Cluster.objects.count() == 200
    assert with_two_hundred == with_five


def test_the_launch_form_makes_as_many_queries_with_2_keys_as_with_50(
    client_for: Any, owner: Any, fixed_name: None
) -> None:
    """Up to six keys are radio buttons, more a drop-down: both read the keys once."""
    SSHKeyFactory.create_batch(2, created_by=owner)
    EMRReleaseFactory()
    client = client_for(owner)
    url = reverse("clusters-new")
    client.get(url)

    with_two = count_queries(client, url)
    SSHKeyFactory.create_batch(48, created_by=owner)
    with_fifty = count_queries(client, url)

    assert with_fifty == with_two


def test_dashboard_sends_the_newest_modified_date_of_the_listed_clusters(client_for: Any, owner: Any) -> None:
    older = ClusterFactory(created_by=owner)
    newer = ClusterFactory(created_by=owner)
    Cluster.objects.filter(pk=older.pk).update(modified_at=timezone.now() - timedelta(hours=1))
    newer.refresh_from_db()

    response = client_for(owner).get(reverse("dashboard"))

    assert response[MODIFIED_DATE_HEADER] == newer.modified_at.isoformat()


def test_dashboard_without_clusters_sends_no_modified_date(client_for: Any, owner: Any) -> None:
    response = client_for(owner).get(reverse("dashboard"))
    assert MODIFIED_DATE_HEADER not in response
