"""Models of the clusters app."""

from __future__ import annotations

from typing import Any

from django.db import models

from atmo.clusters.queries import EMRReleaseQuerySet
from atmo.lib.versions import version_sort_key
from atmo.models import EditedAtModel

EMR_RELEASE_HELP = (
    "Different EMR releases ship different versions of Hadoop, Spark and friends. "
    '<a href="https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-release-components.html" '
    'target="_blank" rel="noopener">See what is in each</a>.'
)


class EMRRelease(EditedAtModel):
    """An EMR release users may launch clusters and jobs with (label ``emr-<version>``)."""

    version = models.CharField(max_length=50, primary_key=True)
    changelog_url = models.TextField(default="", blank=True, help_text="The URL of the release's changelog.")
    help_text = models.TextField(
        default="", blank=True, help_text="Optional help text shown to users choosing a release."
    )
    is_active = models.BooleanField(default=True, help_text="Whether users can choose this release at all.")
    is_experimental = models.BooleanField(
        default=False, help_text="Shown to users with an 'experimental' badge."
    )
    is_deprecated = models.BooleanField(default=False, help_text="Shown to users with a 'deprecated' badge.")
    # Filled from ``version`` on save, so every database sorts releases naturally.
    sort_key = models.CharField(max_length=200, editable=False, db_index=True, default="")

    objects = EMRReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-sort_key"]
        get_latest_by = "created_at"
        verbose_name = "EMR release"
        verbose_name_plural = "EMR releases"

    def __str__(self) -> str:
        return self.version

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sort_key = version_sort_key(self.version)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "sort_key" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "sort_key"]
        super().save(*args, **kwargs)

    @property
    def badge(self) -> str:
        """``experimental``, ``deprecated`` or "" for a stable release."""
        if self.is_experimental:
            return "experimental"
        if self.is_deprecated:
            return "deprecated"
        return ""


class EMRReleaseModel(models.Model):
    """Abstract base for models launched with an EMR release."""

    emr_release = models.ForeignKey(
        EMRRelease,
        verbose_name="EMR release",
        on_delete=models.PROTECT,
        related_name="created_%(class)ss",
        help_text=EMR_RELEASE_HELP,
    )

    class Meta:
        abstract = True
