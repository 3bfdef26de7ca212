"""Fixtures of the keys tests."""

from __future__ import annotations

from typing import Any

import pytest

from atmo.clusters.models import Cluster, EMRRelease
from atmo.keys.models import SSHKey
from tests.keys.factories import SSHKeyFactory


@pytest.fixture
def ssh_key(user: Any) -> SSHKey:
    """A key of ``user``."""
    return SSHKeyFactory(created_by=user, title="laptop")


@pytest.fixture
def foreign_key(user2: Any) -> SSHKey:
    """A key of another user (``user2``)."""
    return SSHKeyFactory(created_by=user2, title="bob's laptop")


@pytest.fixture
def make_cluster(db: Any) -> Any:
    """``make_cluster(key, status)``: a cluster row launched with ``key``, no AWS involved."""
    counter = iter(range(1, 1000))

    def make(ssh_key: SSHKey, status: str = "WAITING", identifier: str = "") -> Cluster:
        release, _ = EMRRelease.objects.get_or_create(version="7.1.0")
        number = next(counter)
        return Cluster.objects.create(
            created_by=ssh_key.created_by,
            emr_release=release,
            identifier=identifier or f"cluster-{number}",
            size=1,
            ssh_key=ssh_key,
            jobflow_id=f"j-{number}",
            most_recent_status=status,
        )

    return make
