"""The clusters page (/clusters/): the dashboard's clusters table on a page of its own,
with unprefixed parameters, only the user's own rows, and a live region polled with an ETag."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from atmo.clusters.models import Cluster
from tests.atmo.test_live import POLL
from tests.clusters.factories import ClusterFactory

pytestmark = pytest.mark.django_db


def shown(client: Any, query: str = "") -> list[str]:
    response = client.get(reverse("clusters-list") + query)
    assert response.status_code == 200
    return [cluster.identifier for cluster in response.context["clusters"]]


@pytest.fixture
def clusters(owner: Any) -> None:
    ClusterFactory(created_by=owner, identifier="beta-ready")
    ClusterFactory(created_by=owner, identifier="alpha-starting", starting=True)
    ClusterFactory(created_by=owner, identifier="gamma-over", terminated=True)
    ClusterFactory(created_by=owner, identifier="delta-broken", failed=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["alpha-starting", "beta-ready"]),
        ("?state=terminated", ["gamma-over"]),
        ("?state=failed", ["delta-broken"]),
        ("?state=all", ["alpha-starting", "beta-ready", "delta-broken", "gamma-over"]),
        ("?state=all&q=LTA", ["delta-broken"]),
        # The dashboard's prefixed parameters mean nothing here.
        ("?clusters=all&clusters_q=gamma", ["alpha-starting", "beta-ready"]),
    ],
)
def test_the_state_and_name_filters_are_unprefixed(
    client_for: Any, owner: Any, clusters: None, query: str, expected: list[str]
) -> None:
    assert sorted(shown(client_for(owner), query)) == expected


def test_the_sort_is_unprefixed_and_its_links_keep_the_filter(
    client_for: Any, owner: Any, clusters: None
) -> None:
    client = client_for(owner)
    assert shown(client, "?state=all&sort=name") == [
        "alpha-starting",
        "beta-ready",
        "delta-broken",
        "gamma-over",
    ]
    assert shown(client, "?state=all&sort=-name") == [
        "gamma-over",
        "delta-broken",
        "beta-ready",
        "alpha-starting",
    ]
    page = client.get(reverse("clusters-list") + "?state=all&q=a").content.decode()
    assert 'href="?q=a&amp;sort=name&amp;state=all"' in page
    assert 'href="?q=a&amp;state=failed"' in page  # a state button keeps the name filter


@pytest.mark.parametrize("query", ["?page=abc", "?per_page=-1", "?sort=evil", "?state=nope", "?page=999"])
def test_bad_parameters_fall_back_to_the_defaults(
    client_for: Any, owner: Any, clusters: None, query: str
) -> None:
    response = client_for(owner).get(reverse("clusters-list") + query)
    assert response.status_code == 200
    params = response.context["cluster_params"]
    assert (params.state, params.sort, params.per_page) == ("active", "-created", 25)
    assert sorted(c.identifier for c in response.context["clusters"]) == ["alpha-starting", "beta-ready"]


def test_25_rows_per_page_and_a_pager_with_unprefixed_links(client_for: Any, owner: Any) -> None:
    ClusterFactory.create_batch(30, created_by=owner)
    client = client_for(owner)
    page = client.get(reverse("clusters-list")).content.decode()
    assert page.count('data-label="Cluster"') == 25
    assert 'href="?page=2"' in page
    second = client.get(reverse("clusters-list") + "?page=2&per_page=10").content.decode()
    assert second.count('data-label="Cluster"') == 10
    assert "11–20 of 30" in second


def test_only_the_users_own_clusters_even_for_a_superuser(client_for: Any, owner: Any, stranger: Any) -> None:
    ClusterFactory(created_by=owner, identifier="mine")
    theirs = ClusterFactory(created_by=stranger, identifier="theirs")
    owner.is_superuser = True
    owner.save()
    # A group permission on someone else's cluster does not put it in the user's list.
    group = owner.groups.create(name="ops")
    assign_perm("clusters.view_cluster", group, theirs)
    assert shown(client_for(owner), "?state=all") == ["mine"]


def test_a_poll_gets_the_table_then_304_and_never_anothers_rows(
    client_for: Any, owner: Any, stranger: Any
) -> None:
    cluster = ClusterFactory(created_by=owner, identifier="polled", starting=True)
    ClusterFactory(created_by=stranger, identifier="not-yours", starting=True)
    client = client_for(owner)
    url = reverse("clusters-list") + "?state=all"
    page = client.get(url).content.decode()
    first = client.get(url, **POLL)
    body = first.content.decode()
    assert first.status_code == 200
    assert "<html" not in body and 'id="live-clusters"' in body and 'id="live-jobs"' not in body
    assert "polled" in body and "not-yours" not in body
    assert 'hx-select-oob="#live-clusters"' in body
    assert f'data-etag="{first["ETag"]}"' in page.replace("&quot;", '"')
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **POLL).status_code == 304
    cluster.most_recent_status = Cluster.STATUS_TERMINATED
    cluster.save(update_fields=["most_recent_status"])
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **POLL)
    assert changed.status_code == 200
    assert 'data-live="final"' in changed.content.decode()
