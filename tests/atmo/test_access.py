"""The access helpers load the row a URL names once, check it, and hand it to the view."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from atmo.access import get_object_for, model_permission
from atmo.clusters.models import Cluster
from tests.aws import AWSStubs
from tests.clusters.factories import ClusterFactory
from tests.jobs.factories import SparkJobFactory

pytestmark = pytest.mark.django_db


def request_as(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_the_row_comes_back_to_a_user_with_the_object_permission(user: Any) -> None:
    group = Group.objects.create(name="owned")
    assign_perm("auth.change_group", user, group)
    assert get_object_for(request_as(user), Group.objects.all(), "auth.change_group", pk=group.pk) == group


def test_someone_else_gets_403_and_a_missing_row_404(user: Any, user2: Any) -> None:
    group = Group.objects.create(name="owned")
    assign_perm("auth.view_group", user, group)
    with pytest.raises(PermissionDenied, match="You do not have access to this group."):
        get_object_for(request_as(user2), Group.objects.all(), "auth.view_group", pk=group.pk)
    with pytest.raises(Http404):
        get_object_for(request_as(user), Group.objects.all(), "auth.view_group", pk=group.pk + 1)


def test_model_permissions_are_named_as_django_names_them() -> None:
    assert model_permission(Cluster, "delete") == "clusters.delete_cluster"


def queries_of_table(client: Any, url: str, table: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum(f'FROM "{table}"' in query["sql"] for query in queries.captured_queries)


def test_the_job_edit_page_loads_the_job_once(client_for: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    assert queries_of_table(client_for(user), job.urls.edit, "jobs_sparkjob") == 1


@pytest.mark.parametrize("action", ["detail", "extend", "terminate"])
def test_each_cluster_page_loads_the_cluster_once_with_its_release_and_key(
    client_for: Any, user: Any, action: str
) -> None:
    cluster = ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="WAITING")
    client = client_for(user)
    url = getattr(cluster.urls, action)
    assert queries_of_table(client, url, "clusters_cluster") == 1
    assert queries_of_table(client, url, "clusters_emrrelease") == 0  # joined to the cluster's row


def test_the_job_page_loads_the_job_once(client_for: Any, user: Any, aws: AWSStubs) -> None:
    from tests.jobs.pages import stub_detail

    job = SparkJobFactory(created_by=user)
    stub_detail(aws, job)
    assert queries_of_table(client_for(user), job.urls.detail, "jobs_sparkjob") == 1
