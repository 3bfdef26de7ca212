from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.decorators import MODIFIED_DATE_HEADER
from atmo.jobs.models import SparkJob, SparkJobRun
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory

pytestmark = pytest.mark.django_db


def shown(client: Any, query: str = "") -> list[str]:
    response = client.get(reverse("dashboard") + query)
    assert response.status_code == 200
    return [job.identifier for job in response.context["spark_jobs"]]


def test_mine_lists_the_users_own_jobs_by_start_date(client_for: Any, owner: Any, jobs: None) -> None:
    assert shown(client_for(owner)) == ["owners-0", "owners-1", "owners-2"]
    assert shown(client_for(owner), "?jobs=mine") == ["owners-0", "owners-1", "owners-2"]
    assert shown(client_for(owner), "?jobs=bogus") == ["owners-0", "owners-1", "owners-2"]


def test_a_maintainers_mine_is_only_their_own_jobs(client_for: Any, maintainer: Any, jobs: None) -> None:
    assert shown(client_for(maintainer)) == ["maintainers-own"]


def test_all_shows_maintainers_every_job_with_its_owner(client_for: Any, maintainer: Any, jobs: None) -> None:
    client = client_for(maintainer)
    assert shown(client, "?jobs=all") == ["owners-0", "owners-1", "owners-2", "strangers", "maintainers-own"]
    page = client.get(reverse("dashboard") + "?jobs=all").content.decode()
    assert '<th scope="col">Owner</th>' in page
    assert "mallory@example.com" in page
    assert 'aria-label="Filter Spark jobs"' in page


def test_members_of_a_group_stripped_of_the_view_permission_see_only_their_own(
    client_for: Any, maintainer: Any, jobs: None
) -> None:
    # The operators took "view every job" from the group in the admin: the dashboard follows.
    group = maintainer.groups.get()
    group.permissions.remove(*group.permissions.filter(codename="view_sparkjob"))
    client = client_for(maintainer)
    assert client.get(reverse("dashboard") + "?jobs=all")["Location"] == "/"
    page = client.get(reverse("dashboard")).content.decode()
    assert 'aria-label="Filter Spark jobs"' not in page


@pytest.mark.parametrize("superuser", [False, True])
def test_non_maintainers_asking_for_all_jobs_go_back_to_the_dashboard(
    client_for: Any, owner: Any, jobs: None, superuser: bool
) -> None:
    owner.is_superuser = superuser
    owner.save()
    response = client_for(owner).get(reverse("dashboard") + "?jobs=all&clusters=failed")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_jobs_table_shows_each_job(client_for: Any, owner: Any) -> None:
    start = timezone.now() - timedelta(days=2)
    job = SparkJobFactory(
        created_by=owner,
        identifier="tabled",
        size=4,
        job_timeout=6,
        interval_in_hours=SparkJob.INTERVAL_DAILY,
        result_visibility=SparkJob.RESULT_PUBLIC,
        start_date=start,
        end_date=start + timedelta(days=30),
    )
    SparkJobRunFactory(
        spark_job=job, status=Cluster.STATUS_TERMINATED_WITH_ERRORS, slot=start + timedelta(days=2)
    )
    response = client_for(owner).get(reverse("dashboard"))
    page = response.content.decode()
    assert f'<a href="{job.urls.detail}">tabled</a>' in page
    assert ">Failed</span>" in page
    for text in [
        "Public",
        ">4<",
        "Daily",
        f'title="{start:%Y-%m-%d %H:%M} UTC"',
    ]:
        assert text in page
    assert f"{start + timedelta(days=3):%Y-%m-%d %H:%M} UTC" in page  # the slot after the latest run's
    assert '<th scope="col">Owner</th>' not in page
    assert 'aria-label="Filter Spark jobs"' not in page  # not a maintainer
    assert f'href="{reverse("jobs-new")}"' in page
    assert 'id="live-jobs"' in page


@pytest.mark.parametrize(
    ("fields", "text"),
    [({"is_enabled": False}, "disabled"), ({"expired_date": timezone.now()}, "ended"), ({}, "due now")],
)
def test_the_next_run_column_tells_why_a_job_will_not_run(
    client_for: Any, owner: Any, fields: dict[str, Any], text: str
) -> None:
    SparkJobFactory(created_by=owner, **fields)
    page = client_for(owner).get(reverse("dashboard")).content.decode()
    assert text in page


def test_no_jobs_says_so(client_for: Any, owner: Any) -> None:
    page = client_for(owner).get(reverse("dashboard")).content.decode()
    assert "No scheduled jobs yet." in page
    assert "Schedule a job" in page


def test_the_modified_date_follows_the_latest_runs(client_for: Any, owner: Any) -> None:
    job = SparkJobFactory(created_by=owner)
    run = SparkJobRunFactory(spark_job=job)
    later = timezone.now() + timedelta(minutes=5)
    SparkJobRun.objects.filter(pk=run.pk).update(modified_at=later)
    response = client_for(owner).get(reverse("dashboard"))
    assert response[MODIFIED_DATE_HEADER] == later.isoformat()


def count_queries(client: Any, query: str) -> int:
    """The queries of the page rendered (a hard reload: not answered from the page cache)."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("dashboard") + query, HTTP_CACHE_CONTROL="no-cache")
    assert response.status_code == 200
    return len(context.captured_queries)


def add_jobs_with_runs(user: Any, count: int, prefix: str) -> None:
    for number in range(count):
        job = SparkJobFactory(created_by=user, identifier=f"{prefix}-{number}")
        SparkJobRunFactory(spark_job=job, jobflow_id=f"j-{prefix}-{number}", status=Cluster.STATUS_TERMINATED)
        SparkJobRunFactory(spark_job=job, jobflow_id=f"j-{prefix}-{number}-b")


@pytest.mark.parametrize("query", ["", "?jobs=all"])
def test_the_number_of_queries_does_not_grow_with_the_number_of_jobs(
    client_for: Any, maintainer: Any, stranger: Any, query: str
) -> None:
    client = client_for(maintainer)
    add_jobs_with_runs(maintainer, 5, "few")
    add_jobs_with_runs(stranger, 5, "theirs")
    # Once first: the content types guardian looks up are cached per process after that.
    count_queries(client, query)
    few = count_queries(client, query)
    add_jobs_with_runs(maintainer, 195, "many")
    add_jobs_with_runs(stranger, 195, "more")
    assert count_queries(client, query) == few
