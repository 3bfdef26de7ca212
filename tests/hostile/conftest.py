"""A populated site, a snapshot of everything it stores, and the clients that attack it.

Every test of this package sends input a careless or malicious client could
send, and checks three things: no server error, nothing changed, and a message
that says what was wrong. AWS is stubbed with nothing queued, so a refused
input that reached S3 or EMR would fail the test too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.utils import timezone

from atmo.clusters.models import Cluster, EMRRelease
from atmo.jobs.models import SparkJob, SparkJobRun, SparkJobRunAlert
from atmo.keys.models import SSHKey
from atmo.stats.models import Metric
from tests.aws import AWSStubs, stubbed_aws
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.keys.factories import SSHKeyFactory
from tests.users.factories import UserFactory

#: The apps whose rows a refused input must leave as they were.
STORED_APPS = ("clusters", "jobs", "keys", "stats", "auth", "guardian", "sessions")


@dataclass
class World:
    """One row of everything, for an owner and for a stranger whose rows the owner must not reach."""

    owner: Any
    stranger: Any
    superuser: Any
    release: EMRRelease
    retired_release: EMRRelease
    key: SSHKey
    strangers_key: SSHKey
    cluster: Cluster
    strangers_cluster: Cluster
    job: SparkJob
    strangers_job: SparkJob
    run: SparkJobRun
    alert: SparkJobRunAlert
    metric: Metric


@pytest.fixture
def world(db: Any) -> World:
    owner = UserFactory(username="alice@example.com")
    stranger = UserFactory(username="mallory@example.com")
    superuser = UserFactory(username="root@example.com", is_staff=True, is_superuser=True)
    release = EMRReleaseFactory(version="7.1.0")
    retired = EMRReleaseFactory(version="5.0.0", is_active=False)
    key = SSHKeyFactory(created_by=owner)
    job = SparkJobFactory(created_by=owner, identifier="daily-report", emr_release=release)
    run = SparkJobRunFactory(spark_job=job, status="TERMINATED_WITH_ERRORS", finished_at=timezone.now())
    return World(
        owner=owner,
        stranger=stranger,
        superuser=superuser,
        release=release,
        retired_release=retired,
        key=key,
        strangers_key=SSHKeyFactory(created_by=stranger),
        cluster=ClusterFactory(created_by=owner, ssh_key=key, emr_release=release),
        strangers_cluster=ClusterFactory(created_by=stranger, emr_release=release),
        job=job,
        strangers_job=SparkJobFactory(created_by=stranger, identifier="secret-report", emr_release=release),
        run=run,
        alert=run.alerts.create(reason_code="BOOTSTRAP_FAILURE", reason_message="exit 1"),
        metric=Metric.objects.create(key="cluster-normalized-instance-hours", value=3, data={"id": 1}),
    )


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every model of :data:`STORED_APPS`, as values, in primary key order."""
    rows = {}
    for app in STORED_APPS:
        for model in apps.get_app_config(app).get_models():
            rows[model._meta.label] = list(model.objects.order_by("pk").values())
    return rows


@pytest.fixture
def aws() -> Iterator[AWSStubs]:
    """AWS with nothing queued: any call a refused input makes fails the test."""
    with stubbed_aws() as stubs:
        yield stubs


def messages_of(response: Any) -> list[str]:
    """The messages the request left for the next page, which are then dropped.

    Dropping them keeps the next request of the same client from reading them again.
    """
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    response.client.cookies.pop(CookieStorage.cookie_name, None)
    return texts


def is_server_error(response: Any) -> bool:
    return response.status_code >= 500
