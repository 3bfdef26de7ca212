"""Every route of the API, for everyone who is not the owner with a usable read-write token.

Owner, another user, anonymous, a bad, revoked or expired token, a read-only
token writing, and a disabled account. None of these requests reaches AWS: a
stray call would fail the test (the ``aws`` fixture has no response queued).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from atmo.api.authentication import REFUSALS
from atmo.api.models import AccessToken
from atmo.users.backends import ACCOUNT_DISABLED_MESSAGE
from tests.api.conftest import assert_problem, client_with, issue
from tests.clusters.factories import ClusterFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.keys.factories import SSHKeyFactory

pytestmark = pytest.mark.django_db

#: (method, path with {cluster}/{key}/{job}/{run}, writes)
OBJECT_ROUTES = [
    ("get", "/api/v1/clusters/{cluster}/", False),
    ("post", "/api/v1/clusters/{cluster}/extend/", True),
    ("post", "/api/v1/clusters/{cluster}/terminate/", True),
    ("get", "/api/v1/ssh-keys/{key}/", False),
    ("delete", "/api/v1/ssh-keys/{key}/", True),
    ("get", "/api/v1/jobs/{job}/", False),
    ("patch", "/api/v1/jobs/{job}/", True),
    ("delete", "/api/v1/jobs/{job}/", True),
    ("post", "/api/v1/jobs/{job}/run/", True),
    ("get", "/api/v1/jobs/{job}/runs/", False),
    ("get", "/api/v1/jobs/{job}/results/", False),
    ("get", "/api/v1/runs/{run}/", False),
]
COLLECTION_ROUTES = [
    ("get", "/api/v1/clusters/", False),
    ("post", "/api/v1/clusters/", True),
    ("get", "/api/v1/emr-releases/", False),
    ("get", "/api/v1/ssh-keys/", False),
    ("post", "/api/v1/ssh-keys/", True),
    ("get", "/api/v1/jobs/", False),
    ("post", "/api/v1/jobs/", True),
]
ALL_ROUTES = OBJECT_ROUTES + COLLECTION_ROUTES


@pytest.fixture
def objects(user: Any) -> dict[str, int]:
    """Alice's cluster (requested: terminating it would need no AWS), key, job and run."""
    key = SSHKeyFactory(created_by=user)
    cluster = ClusterFactory(created_by=user, ssh_key=key, requested=True)
    job = SparkJobFactory(created_by=user)
    run = SparkJobRunFactory(spark_job=job)
    return {"cluster": cluster.pk, "key": key.pk, "job": job.pk, "run": run.pk}


def send(client: APIClient, method: str, path: str, objects: dict[str, int]) -> Any:
    return getattr(client, method)(path.format(**objects), {}, format="json")


def test_another_users_objects_are_not_found(objects: dict[str, int], user2: Any, aws: Any) -> None:
    client = client_with(issue(user2))
    for method, path, _ in OBJECT_ROUTES:
        body = assert_problem(send(client, method, path, objects), 404)
        assert body["detail"].startswith("There is no"), (method, path, body)


def test_a_missing_object_reads_as_another_users(objects: dict[str, int], user: Any, user2: Any) -> None:
    """The same words for an id nobody has: the API does not tell which ids exist."""
    missing = {name: pk + 1000 for name, pk in objects.items()}
    mine, theirs = client_with(issue(user)), client_with(issue(user2))
    for method, path, _ in OBJECT_ROUTES:
        if method == "get":
            absent = assert_problem(send(mine, method, path, missing), 404)["detail"]
            hidden = assert_problem(send(theirs, method, path, objects), 404)["detail"]
            assert absent.rsplit(" ", 1)[0] == hidden.rsplit(" ", 1)[0], path


@pytest.mark.parametrize(
    ("principal", "detail"),
    [
        ("anonymous", "Authentication credentials were not provided."),
        ("bad", REFUSALS["invalid"]),
        ("revoked", REFUSALS["revoked"]),
        ("expired", REFUSALS["expired"]),
    ],
)
def test_no_route_opens_without_a_usable_token(
    objects: dict[str, int], user: Any, principal: str, detail: str, aws: Any
) -> None:
    if principal == "anonymous":
        client = client_with(None)
    elif principal == "bad":
        client = client_with("atmo_" + "x" * 43)
    elif principal == "revoked":
        secret = issue(user)
        AccessToken.find(secret).revoke()
        client = client_with(secret)
    else:
        client = client_with(issue(user, expires_at=timezone.now() - timedelta(minutes=1)))
    for method, path, _ in ALL_ROUTES:
        assert_problem(send(client, method, path, objects), 401, detail)


def test_no_route_opens_to_a_disabled_accounts_token(objects: dict[str, int], user: Any, aws: Any) -> None:
    client = client_with(issue(user))
    user.is_active = False
    user.save()
    for method, path, _ in ALL_ROUTES:
        assert_problem(send(client, method, path, objects), 403, ACCOUNT_DISABLED_MESSAGE)


def test_a_read_only_token_writes_nowhere(objects: dict[str, int], user: Any, aws: Any) -> None:
    client = client_with(issue(user, AccessToken.Scope.READ))
    for method, path, writes in ALL_ROUTES:
        if writes:
            assert_problem(send(client, method, path, objects), 403)
    assert AccessToken.objects.count() == 1


def test_the_owner_reads_every_object(objects: dict[str, int], user: Any, aws: Any) -> None:
    client = client_with(issue(user, AccessToken.Scope.READ))
    aws.s3.add_response("list_objects_v2", {"KeyCount": 0})
    for method, path, writes in ALL_ROUTES:
        if not writes:
            response = send(client, method, path, objects)
            assert response.status_code == 200, (path, response.content)
