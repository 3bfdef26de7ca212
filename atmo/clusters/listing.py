"""Syncing rows that stand for EMR job flows (clusters, job runs) from one EMR listing.

Both status syncs work the same way: list every job flow since the oldest row's
day (one ListClusters call per page of 50, never a DescribeCluster per row), copy
each row's entry onto it, and give up on a row EMR no longer lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from django.utils import timezone

from atmo.clusters.provisioners import ClusterInfo, ClusterProvisioner

#: A job flow missing from EMR's listing this long after its request is gone for good.
#: (A job flow just started may not be listed yet.)
MISSING_GRACE = timedelta(minutes=10)


class JobFlowRow(Protocol):
    """What the sync needs of a row: its job flow, when it was asked for, how to end it."""

    jobflow_id: str | None
    created_at: datetime

    def mark_gone(self) -> None: ...


Row = TypeVar("Row", bound=JobFlowRow)


def sync_from_listing(rows: Sequence[Row], sync: Callable[[Row, ClusterInfo], object]) -> list[Row]:
    """Call ``sync(row, info)`` for each row EMR lists; returns those rows.

    ``rows`` must be ordered oldest first and have job flow ids. A row EMR does not
    list is marked gone once :data:`MISSING_GRACE` has passed since its request.
    Raises :class:`~atmo.provisioners.AWSError` when EMR cannot be asked (nothing is
    changed then).
    """
    if not rows:
        return []
    # Midnight of the oldest row's day: EMR's CreatedAfter filter is coarse anyway.
    created_after = rows[0].created_at.replace(hour=0, minute=0, second=0, microsecond=0)
    listing = {info.jobflow_id: info for info in ClusterProvisioner().list(created_after)}
    synced = []
    for row in rows:
        info = listing.get(row.jobflow_id or "")
        if info is None:
            if row.created_at < timezone.now() - MISSING_GRACE:
                row.mark_gone()
            continue
        sync(row, info)
        synced.append(row)
    return synced
