"""The jobs page (/jobs/): the dashboard's jobs table on a page of its own, with
unprefixed parameters, the user's own jobs (maintainers: a Mine/All switch), and a
live region polled with an ETag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from atmo.clusters.models import Cluster
from tests.atmo.test_live import POLL
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory

pytestmark = pytest.mark.django_db


def shown(client: Any, query: str = "") -> list[str]:
    response = client.get(reverse("jobs-list") + query)
    assert response.status_code == 200
    return [job.identifier for job in response.context["spark_jobs"]]


@pytest.fixture
def off(owner: Any, jobs: None) -> None:
    """One more job of the owner's, disabled, started before the others."""
    start = timezone.now() - timedelta(days=5)
    SparkJobFactory(created_by=owner, identifier="owners-off", is_enabled=False, start_date=start)


def test_a_user_sees_their_own_jobs_by_start_date(client_for: Any, owner: Any, off: None) -> None:
    assert shown(client_for(owner)) == ["owners-0", "owners-1", "owners-2", "owners-off"]
    assert shown(client_for(owner), "?jobs=bogus") == ["owners-0", "owners-1", "owners-2", "owners-off"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?state=disabled", ["owners-off"]),
        ("?q=OWNERS-1", ["owners-1"]),
        ("?sort=name", ["owners-0", "owners-1", "owners-2", "owners-off"]),
        ("?sort=-name", ["owners-off", "owners-2", "owners-1", "owners-0"]),
        # The dashboard's prefixed parameters mean nothing here.
        ("?jobs_state=disabled&jobs_sort=-name", ["owners-0", "owners-1", "owners-2", "owners-off"]),
    ],
)
def test_the_sort_state_and_name_filters_are_unprefixed(
    client_for: Any, owner: Any, off: None, query: str, expected: list[str]
) -> None:
    assert shown(client_for(owner), query) == expected


@pytest.mark.parametrize("query", ["?page=abc", "?per_page=-1", "?sort=evil", "?state=nope", "?page=999"])
def test_bad_parameters_fall_back_to_the_defaults(client_for: Any, owner: Any, off: None, query: str) -> None:
    response = client_for(owner).get(reverse("jobs-list") + query)
    assert response.status_code == 200
    params = response.context["job_params"]
    assert (params.state, params.sort, params.per_page) == ("all", "-start", 25)
    assert len(response.context["spark_jobs"].object_list) == 4


def test_25_rows_per_page_and_a_pager_with_unprefixed_links(client_for: Any, owner: Any) -> None:
    SparkJobFactory.create_batch(30, created_by=owner, identifier=factory.Sequence(lambda n: f"job-{n}"))
    client = client_for(owner)
    page = client.get(reverse("jobs-list")).content.decode()
    assert page.count('data-label="Identifier"') == 25
    assert 'href="?page=2"' in page
    second = client.get(reverse("jobs-list") + "?page=3&per_page=10").content.decode()
    assert second.count('data-label="Identifier"') == 10
    assert "21–30 of 30" in second


def test_a_maintainer_switches_between_their_own_and_every_job(
    client_for: Any, maintainer: Any, off: None
) -> None:
    client = client_for(maintainer)
    assert shown(client) == ["maintainers-own"]
    assert shown(client, "?jobs=all") == [
        "owners-0",
        "owners-1",
        "owners-2",
        "owners-off",
        "strangers",
        "maintainers-own",
    ]
    page = client.get(reverse("jobs-list") + "?jobs=all&sort=name&page=2").content.decode()
    assert '<th scope="col">Owner</th>' in page and "mallory@example.com" in page
    # The switch keeps the sort and goes back to the first page.
    assert 'href="?sort=name">Mine</a>' in page
    assert 'aria-current="true"\n         href="?sort=name&amp;jobs=all">All</a>' in page


@pytest.mark.parametrize("superuser", [False, True])
def test_someone_who_is_no_maintainer_asking_for_every_job_gets_their_own(
    client_for: Any, owner: Any, off: None, superuser: bool
) -> None:
    owner.is_superuser = superuser
    owner.save()
    client = client_for(owner)
    response = client.get(reverse("jobs-list") + "?jobs=all&sort=name")
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs-list") + "?sort=name"
    assert client.get(reverse("jobs-list") + "?jobs=all")["Location"] == reverse("jobs-list")
    # Their poll of "all" shows no one else's job either.
    assert client.get(reverse("jobs-list") + "?jobs=all", **POLL).status_code == 302
    page = client.get(reverse("jobs-list")).content.decode()
    assert "strangers" not in page and 'aria-label="Filter Spark jobs"' not in page


def test_a_poll_gets_the_table_then_304_and_never_anothers_rows(
    client_for: Any, owner: Any, stranger: Any
) -> None:
    job = SparkJobFactory(created_by=owner, identifier="polled")
    SparkJobFactory(created_by=stranger, identifier="not-yours")
    client = client_for(owner)
    url = reverse("jobs-list")
    page = client.get(url).content.decode()
    first = client.get(url, **POLL)
    body = first.content.decode()
    assert first.status_code == 200
    assert "<html" not in body and 'id="live-jobs"' in body and 'id="live-clusters"' not in body
    assert "polled" in body and "not-yours" not in body
    assert f'data-etag="{first["ETag"]}"' in page.replace("&quot;", '"')
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **POLL).status_code == 304
    SparkJobRunFactory(spark_job=job, status=Cluster.STATUS_TERMINATED_WITH_ERRORS)
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **POLL)
    assert changed.status_code == 200
    assert ">Failed</span>" in changed.content.decode()
