"""URLActionModel.urls: every action's URL, from patterns reversed once per class, not per row."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from atmo import models as atmo_models
from tests.atmo.test_list_pages import counting_reverses
from tests.clusters.factories import ClusterFactory
from tests.jobs.factories import SparkJobRunFactory

pytestmark = pytest.mark.django_db


def test_the_urls_are_the_reversed_ones(user: Any) -> None:
    cluster = ClusterFactory(created_by=user)
    for action in cluster.url_actions:
        assert getattr(cluster.urls, action) == reverse(f"clusters-{action}", kwargs={"id": cluster.pk})
    assert list(cluster.urls) == [cluster.urls.detail, cluster.urls.extend, cluster.urls.terminate]
    assert cluster.get_absolute_url() == cluster.urls.detail
    run = SparkJobRunFactory()
    assert run.get_absolute_url() == reverse(
        "jobs-run-detail", kwargs={"id": run.spark_job_id, "run_id": run.pk}
    )


def test_an_unknown_action_is_an_attribute_error(user: Any) -> None:
    with pytest.raises(AttributeError):
        ClusterFactory(created_by=user).urls.explode  # noqa: B018


def test_many_rows_reverse_each_pattern_once_and_share_one_class(user: Any) -> None:
    clusters = ClusterFactory.create_batch(20, created_by=user)
    atmo_models._url_patterns.clear()
    with counting_reverses() as reverses:
        urls = [(cluster.urls.detail, cluster.urls.terminate) for cluster in clusters]
    assert len(reverses) == 2
    assert len({type(cluster.urls) for cluster in clusters}) == 1
    assert urls[3] == (f"/clusters/{clusters[3].pk}/", f"/clusters/{clusters[3].pk}/terminate/")
