"""Fixtures of the cluster page tests: the owner, a stranger, a ready cluster and stubbed EMR."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.stub import Stubber

from atmo.clusters.models import Cluster
from atmo.clusters.provisioners import ClusterProvisioner
from tests.clusters.factories import ClusterFactory
from tests.users.factories import UserFactory


@pytest.fixture
def owner(user: Any) -> Any:
    """The cluster's owner: ``user`` (alice)."""
    return user


@pytest.fixture
def stranger(db: Any) -> Any:
    """Someone who owns none of the clusters."""
    return UserFactory(username="mallory@example.com")


@pytest.fixture
def cluster(owner: Any) -> Cluster:
    return ClusterFactory(created_by=owner, identifier="ready-curie")


@pytest.fixture
def emr() -> Iterator[Stubber]:
    """A botocore Stubber on the EMR client every provisioner gets.

    With no queued response, any EMR call fails the test: "no AWS call" is checked
    for free.
    """
    clients = {service: boto3.client(service, region_name="us-west-2") for service in ("emr", "s3")}
    stubber = Stubber(clients["emr"])
    with (
        mock.patch("atmo.provisioners.client", side_effect=lambda service, *a, **kw: clients[service]),
        stubber,
    ):
        yield stubber


@pytest.fixture
def no_aws_stop() -> Iterator[mock.MagicMock]:
    with mock.patch.object(ClusterProvisioner, "stop", autospec=True) as stop:
        yield stop
