"""QuerySets of the clusters app."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Q

from atmo.lib.versions import version_sort_key


class EMRReleaseQuerySet(models.QuerySet[Any]):
    """Filters EMR releases by what users may pick, and keeps their sort key filled.

    ``save()`` fills ``sort_key`` from ``version``; ``bulk_create()`` and
    ``update(version="...")`` bypass it, so they fill the key here. An
    ``update()`` that computes the version in the database (``F``, ``Concat``)
    cannot be followed: write such releases through ``save()`` instead.
    """

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        """``QuerySet.bulk_create`` with each release's sort key filled first."""
        objs = list(objs)
        for release in objs:
            release.sort_key = version_sort_key(release.version)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        """``QuerySet.update``; a new ``version`` given as a string brings its sort key along."""
        if isinstance(kwargs.get("version"), str):
            kwargs.setdefault("sort_key", version_sort_key(kwargs["version"]))
        return super().update(**kwargs)

    def active(self) -> EMRReleaseQuerySet:
        """Releases users may pick."""
        return self.filter(is_active=True)

    def stable(self) -> EMRReleaseQuerySet:
        """Active releases that are neither experimental nor deprecated."""
        return self.filter(is_active=True, is_experimental=False, is_deprecated=False)

    def experimental(self) -> EMRReleaseQuerySet:
        """Active releases shown with an "experimental" badge."""
        return self.filter(is_active=True, is_experimental=True)

    def deprecated(self) -> EMRReleaseQuerySet:
        """Active releases shown with a "deprecated" badge."""
        return self.filter(is_active=True, is_deprecated=True)

    def natural_sort_by_version(self) -> EMRReleaseQuerySet:
        """Newest version first, comparing numbers as numbers (5.11.0 above 5.9.0)."""
        return self.order_by("-sort_key")


class ClusterQuerySet(models.QuerySet[Any]):
    """Filters clusters by the state EMR last reported."""

    def active(self) -> ClusterQuerySet:
        """Clusters that are requested, starting, running or terminating."""
        from atmo.clusters.models import Cluster

        return self.filter(most_recent_status__in=Cluster.ACTIVE_STATUS_LIST)

    def terminated(self) -> ClusterQuerySet:
        """Clusters that ended normally (TERMINATED)."""
        from atmo.clusters.models import Cluster

        return self.filter(most_recent_status__in=Cluster.TERMINATED_STATUS_LIST)

    def failed(self) -> ClusterQuerySet:
        """Clusters that ended with errors (TERMINATED_WITH_ERRORS)."""
        from atmo.clusters.models import Cluster

        return self.filter(most_recent_status__in=Cluster.FAILED_STATUS_LIST)

    def not_terminating(self) -> ClusterQuerySet:
        """Clusters EMR is not already shutting down (TERMINATING means it accepted a stop)."""
        from atmo.clusters.models import Cluster

        return self.exclude(most_recent_status=Cluster.STATUS_TERMINATING)

    def expiring_before(self, deadline: datetime) -> ClusterQuerySet:
        """Clusters whose lifetime ends at ``deadline`` or earlier."""
        return self.filter(expires_at__lte=deadline)

    def provisioned(self) -> ClusterQuerySet:
        """Clusters EMR knows about (they have a job flow id)."""
        return self.exclude(jobflow_id__isnull=True).exclude(jobflow_id="")

    def requested(self) -> ClusterQuerySet:
        """Requests EMR has not seen yet: still REQUESTED, without a job flow id.

        Used as the condition of the UPDATE with which a termination withdraws
        such a request, so that a job flow id stored meanwhile is not overwritten.
        """
        from atmo.clusters.models import Cluster

        unprovisioned = Q(jobflow_id__isnull=True) | Q(jobflow_id="")
        return self.filter(unprovisioned, most_recent_status=Cluster.REQUESTED)
