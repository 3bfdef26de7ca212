"""QuerySets of the clusters app."""

from __future__ import annotations

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
