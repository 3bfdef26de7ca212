"""Helpers for the cluster tests: EMR's answers, and moments to act between two calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from botocore.stub import ANY
from django.db import connection
from django.utils import timezone

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGK0Xd9jJo6lBQ4o9kiV0S3xqzJm4Yy0kQvXfW0qvYtm alice@laptop"


def emr_cluster(
    jobflow_id: str,
    state: str = "WAITING",
    created: datetime | None = None,
    ready: datetime | None = None,
    ended: datetime | None = None,
    reason: tuple[str, str] | None = None,
    public_dns: str | None = None,
) -> dict[str, Any]:
    """A cluster as DescribeCluster/ListClusters return it."""
    timeline: dict[str, Any] = {"CreationDateTime": created or timezone.now()}
    if ready:
        timeline["ReadyDateTime"] = ready
    if ended:
        timeline["EndDateTime"] = ended
    status: dict[str, Any] = {"State": state, "Timeline": timeline}
    if reason:
        status["StateChangeReason"] = {"Code": reason[0], "Message": reason[1]}
    cluster: dict[str, Any] = {"Id": jobflow_id, "Name": f"atmo-test-cluster-{jobflow_id}", "Status": status}
    if public_dns:
        cluster["MasterPublicDnsName"] = public_dns
    return cluster


def on_emr_call(aws: Any, operation: str, callback: Callable[[], None]) -> None:
    """Run ``callback`` each time ATMO sends ``operation`` (e.g. "RunJobFlow") to stubbed EMR.

    It runs while the request is being built, i.e. while the call is in flight
    for the code under test: the moment a concurrent user action would hit.
    """
    aws.clients["emr"].meta.events.register(
        f"before-parameter-build.emr.{operation}", lambda **kwargs: callback()
    )


@contextmanager
def before_first_query(prefix: str, callback: Callable[[], None]) -> Iterator[None]:
    """Run ``callback`` once, just before the first SQL statement starting with ``prefix``.

    Stands for another process writing between two statements of the code under
    test (e.g. between a SELECT and the UPDATE that acts on what it read).
    """
    done = False

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal done
        if not done and sql.startswith(prefix):
            done = True
            callback()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield


def add_listing(aws: Any, clusters: list[dict[str, Any]], page_size: int = 50) -> int:
    """Stub ListClusters as EMR pages it; returns the number of pages (calls)."""
    pages = [clusters[i : i + page_size] for i in range(0, len(clusters), page_size)] or [[]]
    for number, page in enumerate(pages):
        response: dict[str, Any] = {"Clusters": page}
        expected: dict[str, Any] = {"CreatedAfter": ANY}
        if number:
            expected["Marker"] = f"page-{number}"
        if number < len(pages) - 1:
            response["Marker"] = f"page-{number + 1}"
        aws.emr.add_response("list_clusters", response, expected)
    return len(pages)
