"""QuerySets of the clusters app."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from django.db import models

from atmo.lib.versions import version_sort_key
from atmo.queries import JobFlowQuerySet

if TYPE_CHECKING:
    # Named in the quoted QuerySet bases below, which ruff does not read.
    from atmo.clusters.models import Cluster, EMRRelease  # noqa: F401


class EMRReleaseQuerySet(models.QuerySet["EMRRelease"]):
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

    def active(self) -> Self:
        return self.filter(is_active=True)

    def stable(self) -> Self:
        return self.filter(is_active=True, is_experimental=False, is_deprecated=False)

    def experimental(self) -> Self:
        return self.filter(is_active=True, is_experimental=True)

    def deprecated(self) -> Self:
        return self.filter(is_active=True, is_deprecated=True)

    def natural_sort_by_version(self) -> Self:
        """Newest version first, comparing numbers as numbers (5.11.0 above 5.9.0)."""
        return self.order_by("-sort_key")


class ClusterQuerySet(JobFlowQuerySet["Cluster"]):
    """Filters clusters by state (see :class:`~atmo.queries.JobFlowQuerySet`) and expiry."""

    def not_terminating(self) -> Self:
        """Clusters EMR is not already shutting down (TERMINATING means it accepted a stop)."""
        return self.exclude(most_recent_status=self.model.State.TERMINATING)

    def expiring_before(self, deadline: datetime) -> Self:
        return self.filter(expires_at__lte=deadline)
