"""The list pages (dashboard, clusters, jobs, SSH keys, a job's runs): paginated, sorted,
filtered, at a constant cost.

The cost pins: SQL queries and reverse() calls per page are the same with 5 and
with 500 objects (issue 10: 790 reverse() calls per dashboard before).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from unittest import mock

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.urls.resolvers import URLResolver
from django.utils import timezone

from atmo import models as atmo_models
from atmo.clusters.models import Cluster
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.pages import stub_detail
from tests.keys.factories import SSHKeyFactory


@contextmanager
def counting_reverses() -> Iterator[list[Any]]:
    """Every reverse() (django.urls.reverse and {% url %} alike) goes through the resolver's method."""
    calls: list[Any] = []
    real = URLResolver._reverse_with_prefix

    def counted(self: URLResolver, lookup_view: Any, *args: Any, **kwargs: Any) -> str:
        calls.append(lookup_view)
        return real(self, lookup_view, *args, **kwargs)

    with mock.patch.object(URLResolver, "_reverse_with_prefix", counted):
        yield calls


def cost_of(client: Any, url: str, **headers: Any) -> tuple[int, int]:
    """(SQL queries, reverse() calls) of a second GET, with the URL pattern cache emptied.

    The first GET fills the caches every process fills once (content types).
    """
    client.get(url, **headers)
    atmo_models._url_patterns.clear()
    with CaptureQueriesContext(connection) as queries, counting_reverses() as reverses:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries), len(reverses)


def fill_dashboard(owner: Any, count: int) -> None:
    key = SSHKeyFactory(created_by=owner)
    release = EMRReleaseFactory()
    clusters = ClusterFactory.create_batch(count, created_by=owner, ssh_key=key, emr_release=release)
    jobs = SparkJobFactory.create_batch(
        count, created_by=owner, emr_release=release, identifier=factory.Sequence(lambda n: f"job-{n}")
    )
    assert len(clusters) == len(jobs) == count
    SparkJobRunFactory(spark_job=jobs[0])


@pytest.mark.django_db
def test_the_dashboard_costs_the_same_with_5_and_with_500_objects(
    client_for: Any, user: Any, user2: Any
) -> None:
    fill_dashboard(user, 5)
    fill_dashboard(user2, 500)
    few = cost_of(client_for(user), reverse("dashboard") + "?clusters=all")
    many = cost_of(client_for(user2), reverse("dashboard") + "?clusters=all")
    print(f"dashboard (queries, reverse() calls): 5 objects {few}, 500 objects {many}")
    assert few == many
    # One reverse() per URL pattern on the page, not per row and action.
    assert many[1] < 30


@dataclass(frozen=True)
class ListPage:
    """What a list page must show around its table, and what it says when it is empty."""

    title: str
    heading: str
    nav: str
    see_all: str
    empty: str
    next_step: str
    next_step_url: str


LIST_PAGES = {
    "clusters-list": ListPage(
        title="Clusters",
        heading="Spark clusters",
        nav="Clusters",
        see_all="clusters-see-all",
        empty="No active clusters.",
        next_step="Launch a cluster",
        next_step_url="clusters-new",
    ),
    "jobs-list": ListPage(
        title="Scheduled Spark jobs",
        heading="Scheduled Spark jobs",
        nav="Jobs",
        see_all="jobs-see-all",
        empty="No scheduled jobs yet.",
        next_step="Schedule a job",
        next_step_url="jobs-new",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(LIST_PAGES))
def test_anonymous_visitors_of_a_list_page_are_sent_to_log_in(client: Any, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('users-login')}?next={reverse(name)}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(LIST_PAGES))
def test_a_list_page_has_its_title_heading_nav_link_and_the_dashboards_see_all(
    client_for: Any, user: Any, name: str
) -> None:
    expected = LIST_PAGES[name]
    client = client_for(user)
    page = client.get(reverse(name)).content.decode()
    assert f"<title>{expected.title} · ATMO</title>" in page
    assert f'<h1 class="h3 me-auto mb-0">{expected.heading}</h1>' in page
    assert f'<a class="nav-link active" href="{reverse(name)}">{expected.nav}</a>' in page
    others = [other for other in LIST_PAGES if other != name]
    for other in others:
        assert f'<a class="nav-link" href="{reverse(other)}">{LIST_PAGES[other].nav}</a>' in page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse(name)}" data-testid="{expected.see_all}"' in dashboard


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(LIST_PAGES))
def test_an_empty_list_page_says_what_to_do_next(client_for: Any, user: Any, name: str) -> None:
    expected = LIST_PAGES[name]
    page = client_for(user).get(reverse(name)).content.decode()
    assert expected.empty in page
    button = f'href="{reverse(expected.next_step_url)}"><i class="bi bi-plus-lg" aria-hidden="true"></i>'
    assert f"{button} {expected.next_step}" in page


#: SQL queries of the clusters and jobs pages, whatever the number of rows: the user, the
#: count and the page's rows (sessions are in Redis), and on the jobs page the maintainer check.
LIST_PAGE_QUERIES = {"clusters-list": 3, "jobs-list": 4}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(LIST_PAGE_QUERIES))
def test_the_clusters_and_jobs_pages_cost_the_same_with_5_and_with_500_objects(
    client_for: Any, user: Any, user2: Any, name: str
) -> None:
    fill_dashboard(user, 5)
    fill_dashboard(user2, 500)
    # Rendered each time (a hard reload), not answered from the page cache.
    few = cost_of(client_for(user), reverse(name) + "?state=all&sort=name", HTTP_CACHE_CONTROL="no-cache")
    many = cost_of(client_for(user2), reverse(name) + "?state=all&sort=name", HTTP_CACHE_CONTROL="no-cache")
    print(f"{name} (queries, reverse() calls): 5 objects {few}, 500 objects {many}")
    assert few == many
    assert many[0] == LIST_PAGE_QUERIES[name]
    assert many[1] < 30


@pytest.mark.django_db
def test_the_dashboard_shows_25_rows_per_list_and_links_the_next_page(client_for: Any, user: Any) -> None:
    fill_dashboard(user, 30)
    page = client_for(user).get(reverse("dashboard")).content.decode()
    assert page.count('data-label="Cluster"') == 25
    assert page.count('data-label="Identifier"') == 25
    assert 'href="?clusters_page=2"' in page
    assert 'href="?jobs_page=2"' in page
    assert "26–30 of 30" not in page
    second = client_for(user).get(reverse("dashboard") + "?clusters_page=2&jobs_per_page=10").content.decode()
    assert second.count('data-label="Cluster"') == 5
    assert second.count('data-label="Identifier"') == 10
    assert "26–30 of 30" in second


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "?clusters_page=abc",
        "?clusters_page=999",
        "?jobs_per_page=-1&jobs_page=0",
        "?clusters_sort=drop&jobs_state=x",
    ],
)
def test_bad_list_parameters_give_a_page_not_an_error(client_for: Any, user: Any, query: str) -> None:
    fill_dashboard(user, 3)
    assert client_for(user).get(reverse("dashboard") + query).status_code == 200


@pytest.mark.django_db
def test_the_dashboard_sorts_and_filters_clusters_by_name_and_state(client_for: Any, user: Any) -> None:
    for name in ["beta", "alpha", "gamma"]:
        ClusterFactory(created_by=user, identifier=f"{name}-node")
    ClusterFactory(created_by=user, identifier="alpha-dead", terminated=True)
    client = client_for(user)
    page = client.get(reverse("dashboard") + "?clusters_sort=name").content.decode()
    assert page.index("alpha-node") < page.index("beta-node") < page.index("gamma-node")
    assert "alpha-dead" not in page  # the default state filter: active
    page = client.get(reverse("dashboard") + "?clusters=all&clusters_q=ALPHA").content.decode()
    assert "alpha-node" in page and "alpha-dead" in page and "beta-node" not in page
    # The sort links keep the filter.
    assert 'href="?clusters=all&amp;clusters_q=ALPHA&amp;clusters_sort=name"' in page


@pytest.mark.django_db
def test_the_jobs_sort_by_next_run(client_for: Any, user: Any) -> None:
    now = timezone.now()
    SparkJobFactory(created_by=user, identifier="later", start_date=now + timedelta(days=2))
    SparkJobFactory(created_by=user, identifier="sooner", start_date=now + timedelta(hours=2))
    SparkJobFactory(created_by=user, identifier="off", is_enabled=False)
    page = client_for(user).get(reverse("dashboard") + "?jobs_sort=next").content.decode()
    assert page.index(">sooner<") < page.index(">later<") < page.index(">off<")


@pytest.mark.django_db
def test_the_keys_page_costs_the_same_with_5_and_with_100_keys(
    client_for: Any, user: Any, user2: Any
) -> None:
    SSHKeyFactory.create_batch(5, created_by=user)
    SSHKeyFactory.create_batch(100, created_by=user2)
    assert cost_of(client_for(user), reverse("keys-list")) == cost_of(client_for(user2), reverse("keys-list"))


@pytest.mark.django_db
def test_the_keys_page_is_paginated_sorted_and_filtered(client_for: Any, user: Any) -> None:
    for title in ["work laptop", "home", "old laptop"]:
        SSHKeyFactory(created_by=user, title=title)
    client = client_for(user)
    page = client.get(reverse("keys-list") + "?q=laptop&sort=name").content.decode()
    assert "home" not in page.split('data-testid="keys-table"')[1]
    assert page.index(">old laptop<") < page.index(">work laptop<")
    page = client.get(reverse("keys-list") + "?per_page=1&page=999").content.decode()
    assert "3–3 of 3" in page
    assert client.get(reverse("keys-list") + "?page=abc&per_page=x").status_code == 200


@pytest.mark.django_db
def test_a_jobs_run_history_costs_the_same_with_5_and_with_500_runs(
    client_for: Any, user: Any, aws: Any
) -> None:
    release = EMRReleaseFactory()
    few_job = SparkJobFactory(created_by=user, identifier="few", emr_release=release)
    many_job = SparkJobFactory(created_by=user, identifier="many", emr_release=release)
    SparkJobRunFactory.create_batch(5, spark_job=few_job, status=Cluster.STATUS_TERMINATED)
    SparkJobRunFactory.create_batch(500, spark_job=many_job, status=Cluster.STATUS_TERMINATED)
    client = client_for(user)
    stub_detail(aws, few_job)
    few = cost_of(client, few_job.urls.detail)
    stub_detail(aws, many_job)
    many = cost_of(client, many_job.urls.detail)
    print(f"job page (queries, reverse() calls): 5 runs {few}, 500 runs {many}")
    assert few == many
    page = client.get(many_job.urls.detail + "?page=20&state=finished").content.decode()
    assert page.count('data-testid="run-link"') == 25
    assert "476–500 of 500" in page
