"""Admin pages of EMR releases and clusters."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from guardian.admin import GuardedModelAdmin

from atmo.clusters.models import Cluster, EMRRelease
from atmo.provisioners import AWSError


@admin.register(EMRRelease)
class EMRReleaseAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "is_active",
        "is_experimental",
        "is_deprecated",
        "changelog_url",
        "modified_at",
    ]
    list_filter = ["is_active", "is_experimental", "is_deprecated"]
    search_fields = ["version", "changelog_url", "help_text"]
    readonly_fields = ["created_at", "modified_at"]


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
    # A user list or a key list can be long: type an id instead of loading a select.
    raw_id_fields = ["created_by", "ssh_key"]
    # What EMR reports is overwritten by the next sync, so editing it here would only mislead.
    readonly_fields = [
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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The owner's object permissions are granted once, at creation: changing
        # the owner afterwards would leave them on the wrong user.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "created_by"] if obj is not None else fields
