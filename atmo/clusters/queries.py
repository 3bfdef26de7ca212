"""QuerySets of the clusters app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models


class EMRReleaseQuerySet(models.QuerySet[Any]):
    def active(self) -> EMRReleaseQuerySet:
        """Releases users may pick."""
        return self.filter(is_active=True)

    def stable(self) -> EMRReleaseQuerySet:
        """Active releases that are neither experimental nor deprecated."""
        return self.filter(is_active=True, is_experimental=False, is_deprecated=False)

    def experimental(self) -> EMRReleaseQuerySet:
        return self.filter(is_active=True, is_experimental=True)

    def deprecated(self) -> EMRReleaseQuerySet:
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
        from atmo.clusters.models import Cluster

        return self.filter(most_recent_status__in=Cluster.TERMINATED_STATUS_LIST)

    def failed(self) -> ClusterQuerySet:
        from atmo.clusters.models import Cluster

        return self.filter(most_recent_status__in=Cluster.FAILED_STATUS_LIST)

    def expiring_before(self, deadline: datetime) -> ClusterQuerySet:
        return self.filter(expires_at__lte=deadline)

    def provisioned(self) -> ClusterQuerySet:
        """Clusters EMR knows about (they have a job flow id)."""
        return self.exclude(jobflow_id__isnull=True).exclude(jobflow_id="")
