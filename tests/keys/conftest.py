"""Fixtures of the keys tests."""

from __future__ import annotations

from typing import Any

import pytest

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
