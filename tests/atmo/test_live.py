"""Live regions (atmo/live.py): polls answer 304 while nothing changed, the regions alone
after a change, stop once nothing can change, and never show another user's rows."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.urls import reverse

from atmo.clusters.models import Cluster
from tests.clusters.factories import ClusterFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory

POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "live-poller"}

pytestmark = pytest.mark.django_db


def poll(client: Any, url: str, etag: str | None = None) -> Any:
    headers = {**POLL, **({"HTTP_IF_NONE_MATCH": etag} if etag else {})}
    return client.get(url, **headers)


def test_a_dashboard_poll_gets_the_regions_then_304_until_a_row_changes(client_for: Any, user: Any) -> None:
    cluster = ClusterFactory(created_by=user, identifier="polled", starting=True)
    client = client_for(user)
    page = client.get(reverse("dashboard")).content.decode()
    first = poll(client, reverse("dashboard"))
    assert first.status_code == 200
    body = first.content.decode()
    assert "<html" not in body and 'id="live-clusters"' in body and 'id="live-jobs"' in body
    assert "polled" in body
    assert first["Cache-Control"] == "no-store"
    # The page's poller carries the same version: its first poll is already a 304.
    assert f'data-etag="{first["ETag"]}"' in page.replace("&quot;", '"')

    unchanged = poll(client, reverse("dashboard"), first["ETag"])
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    cluster.most_recent_status = Cluster.STATUS_WAITING
    cluster.save(update_fields=["most_recent_status"])
    changed = poll(client, reverse("dashboard"), first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert ">Ready</span>" in changed.content.decode()


def test_polling_stops_once_nothing_shown_can_change(client_for: Any, user: Any) -> None:
    cluster = ClusterFactory(created_by=user, starting=True)
    client = client_for(user)
    url = reverse("dashboard") + "?clusters=all"
    assert 'data-live="polling"' in poll(client, url).content.decode()
    cluster.most_recent_status = Cluster.STATUS_TERMINATED
    cluster.save(update_fields=["most_recent_status"])
    body = poll(client, url).content.decode()
    assert 'data-live="final"' in body
    assert "hx-trigger" not in body


def test_a_cluster_poll_stops_when_the_cluster_has_ended(client_for: Any, user: Any) -> None:
    cluster = ClusterFactory(created_by=user, starting=True)
    client = client_for(user)
    first = poll(client, cluster.urls.detail)
    assert first.status_code == 200
    assert 'hx-trigger="every 10s"' in first.content.decode()
    assert 'id="live-cluster-main"' in first.content.decode()
    assert poll(client, cluster.urls.detail, first["ETag"]).status_code == 304
    cluster.most_recent_status = Cluster.STATUS_TERMINATED_WITH_ERRORS
    cluster.save(update_fields=["most_recent_status"])
    final = poll(client, cluster.urls.detail, first["ETag"])
    assert final.status_code == 200
    assert 'data-live="final"' in final.content.decode()
    assert "hx-trigger" not in final.content.decode()


def test_a_job_poll_lists_the_results_in_s3_only_when_something_changed(client_for: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    run = SparkJobRunFactory(spark_job=job)
    client = client_for(user)
    listed = {"results": {"data": [], "logs": []}, "results_error": "", "has_markdown_results": False}
    with mock.patch("atmo.jobs.views.results_from_aws", autospec=True, return_value=listed) as results:
        first = poll(client, job.urls.detail)
        assert first.status_code == 200
        assert f'href="{run.get_absolute_url()}"' in first.content.decode()
        assert 'id="live-job-results"' in first.content.decode()
        assert poll(client, job.urls.detail, first["ETag"]).status_code == 304
        assert results.call_count == 1
        run.status = Cluster.STATUS_TERMINATED
        run.save(update_fields=["status"])
        assert poll(client, job.urls.detail, first["ETag"]).status_code == 200
        assert results.call_count == 2


def test_a_run_poll_asks_emr_only_when_the_run_changed(client_for: Any, user: Any) -> None:
    run = SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), status=Cluster.STATUS_TERMINATED)
    client = client_for(user)
    with mock.patch(
        "atmo.jobs.views.notebook_step_state", autospec=True, return_value=("COMPLETED", "")
    ) as step:
        first = poll(client, run.get_absolute_url())
        assert first.status_code == 200
        assert 'data-live="final"' in first.content.decode()
        assert "COMPLETED" in first.content.decode()
        assert poll(client, run.get_absolute_url(), first["ETag"]).status_code == 304
    assert step.call_count == 1


def test_a_poll_never_shows_another_users_objects(client_for: Any, user: Any, user2: Any) -> None:
    ClusterFactory(created_by=user2, identifier="not-yours")
    job = SparkJobFactory(created_by=user2, identifier="not-yours-either")
    run = SparkJobRunFactory(spark_job=job)
    cluster = ClusterFactory(created_by=user2)
    client = client_for(user)
    body = poll(client, reverse("dashboard") + "?clusters=all").content.decode()
    assert "not-yours" not in body
    for url in [cluster.urls.detail, job.urls.detail, run.get_absolute_url()]:
        assert poll(client, url).status_code == 404
