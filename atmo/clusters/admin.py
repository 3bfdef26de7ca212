"""Admin pages of EMR releases and clusters."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from guardian.admin import GuardedModelAdmin

from atmo.clusters.models import Cluster, EMRRelease
from atmo.provisioners import AWSError


class StabilityFilter(admin.SimpleListFilter):
    """Filters releases by the badge users see: stable, experimental or deprecated."""

    title = "stability"
    parameter_name = "stability"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        """The three kinds of release, as offered in the sidebar."""
        return [("stable", "Stable"), ("experimental", "Experimental"), ("deprecated", "Deprecated")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[EMRRelease]) -> QuerySet[EMRRelease]:
        """The releases of the chosen kind, active or not (the "active" filter is separate)."""
        if self.value() == "stable":
            return queryset.filter(is_experimental=False, is_deprecated=False)
        if self.value() == "experimental":
            return queryset.filter(is_experimental=True)
        if self.value() == "deprecated":
            return queryset.filter(is_deprecated=True)
        return queryset


@admin.register(EMRRelease)
class EMRReleaseAdmin(admin.ModelAdmin):
    """EMR releases users may launch with: operators add, flag, describe and retire them here."""

    list_display = [
        "version",
        "is_active",
        "stable",
        "is_experimental",
        "is_deprecated",
        "changelog_url",
        "modified_at",
    ]
    list_filter = ["is_active", StabilityFilter, "is_experimental", "is_deprecated"]
    search_fields = ["version", "changelog_url", "help_text"]
    readonly_fields = ["created_at", "modified_at"]

    @admin.display(boolean=True, description="stable", ordering="is_experimental")
    def stable(self, release: EMRRelease) -> bool:
        """Whether users see the release without a badge."""
        return release.is_stable


@admin.action(description="Terminate the selected clusters")
def deactivate(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Cluster]) -> None:
    """Terminate each selected active cluster; one AWS refusal does not stop the others."""
    terminated = 0
    for cluster in queryset.active():  # type: ignore[attr-defined]
        try:
            cluster.deactivate()
        except AWSError as exc:
            modeladmin.message_user(
                request,
                f"Cluster {cluster.identifier} ({cluster.jobflow_id}) was not terminated: {exc.message}",
                messages.ERROR,
            )
            continue
        terminated += 1
    if terminated:
        modeladmin.message_user(
            request, f"Termination requested for {terminated} cluster(s).", messages.SUCCESS
        )


@admin.register(Cluster)
class ClusterAdmin(GuardedModelAdmin):
    """Every user's clusters, for operators: inspect, correct the lifetime, terminate.

    Clusters are launched from the site only: a row added here would never be
    provisioned, so the admin cannot add any.
    """

    list_display = [
        "identifier",
        "size",
        "lifetime",
        "created_by",
        "created_at",
        "modified_at",
        "expires_at",
        "started_at",
        "ready_at",
        "finished_at",
        "jobflow_id",
        "emr_release",
        "most_recent_status",
        "lifetime_extension_count",
    ]
    list_filter = [
        "most_recent_status",
        "size",
        "lifetime",
        "emr_release",
        "created_at",
        "expires_at",
        "started_at",
        "ready_at",
        "finished_at",
    ]
    search_fields = ["identifier", "jobflow_id", "created_by__email"]
    list_select_related = ["created_by", "emr_release"]
    # A key list can be long: type an id instead of loading a select.
    raw_id_fields = ["ssh_key"]
    # What EMR reports is overwritten by the next sync, so editing it here would
    # only mislead. The owner's object permissions are granted once, at creation:
    # changing the owner afterwards would leave them on the wrong user.
    readonly_fields = [
        "created_by",
        "created_at",
        "modified_at",
        "jobflow_id",
        "most_recent_status",
        "status_message",
        "master_address",
        "started_at",
        "ready_at",
        "finished_at",
        "lifetime_extension_count",
    ]
    date_hierarchy = "created_at"
    actions = [deactivate]

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Never: only the site's launch form starts the provisioning of a cluster."""
        return False

    def save_model(self, request: HttpRequest, obj: Cluster, form: Any, change: bool) -> None:
        """Write only the fields the operator changed.

        A full save would write back the AWS fields as the form loaded them, undoing
        a job flow id or state that the provisioning task or the status sync stored
        meanwhile, and leave an EMR cluster running that nothing tracks.
        """
        obj.save(update_fields=form.changed_data)
