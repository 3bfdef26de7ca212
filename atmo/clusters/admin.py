"""Admin pages of EMR releases and clusters."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from django.contrib import admin, messages
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.http import HttpRequest

from atmo.admin import CheckedGuardedModelAdmin, ModelAdmin
from atmo.clusters.models import Cluster, Deactivation, EMRRelease
from atmo.mail import send_templated_mail
from atmo.provisioners import AWSError, describe_aws_failure

logger = logging.getLogger(__name__)

#: True for a release users see without a badge: neither experimental nor deprecated.
STABLE = Case(
    When(Q(is_experimental=False, is_deprecated=False), then=Value(True)),
    default=Value(False),
    output_field=BooleanField(),
)


class StabilityFilter(admin.SimpleListFilter):
    """Filters releases by the badge users see: stable, experimental or deprecated."""

    title = "stability"
    parameter_name = "stability"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
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
class EMRReleaseAdmin(ModelAdmin):
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[EMRRelease]:
        """The releases, each with whether it is stable, so that the "stable" column sorts."""
        return super().get_queryset(request).annotate(stable_rank=STABLE)

    # Sorted by the annotation, not by one flag: by is_experimental alone, deprecated
    # releases would sort among the stable ones.
    @admin.display(boolean=True, description="stable", ordering="stable_rank")
    def stable(self, release: EMRRelease) -> bool:
        return release.is_stable


def mail_termination(cluster: Cluster) -> bool:
    """Tell the owner that an operator terminated their cluster, and why; False if the mail failed."""
    try:
        send_templated_mail("clusters/emails/terminated", {"cluster": cluster}, to=[cluster.created_by.email])
    except Exception:
        # The cluster is terminated either way; the operator is told to reach the owner.
        logger.exception("termination mail not sent", extra={"cluster_id": cluster.pk})
        return False
    return True


@admin.action(description="Terminate the selected clusters", permissions=["change"])
def deactivate(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Cluster]) -> None:
    """Terminate each selected active cluster, mail its owner why, and say what came of it.

    The reason names the operator. One AWS refusal does not stop the others.
    Staff need the change permission on clusters: viewing them is not enough
    to stop anyone's work.
    """
    outcomes: Counter[Deactivation] = Counter()
    operator = request.user.get_full_name() or request.user.get_username()  # type: ignore[union-attr]
    reason = Cluster.TERMINATED_BY_OPERATOR.format(operator=operator)
    # The admin hands actions its model's own queryset (a ClusterQuerySet); the
    # stubs type an action's queryset as a plain QuerySet.
    for cluster in queryset.active().select_related("created_by"):  # type: ignore[attr-defined]
        try:
            outcome = cluster.deactivate(reason)
        except AWSError as exc:
            what = f"Cluster {cluster.identifier} ({cluster.jobflow_id}) could not be terminated"
            modeladmin.message_user(request, str(describe_aws_failure(exc, what)), messages.ERROR)
            continue
        outcomes[outcome] += 1
        if outcome in (Deactivation.TERMINATING, Deactivation.WITHDRAWN) and not mail_termination(cluster):
            unmailed = f"The owner of {cluster.identifier} could not be mailed; tell them."
            modeladmin.message_user(request, unmailed, messages.WARNING)
    for outcome, count in outcomes.items():
        level = messages.SUCCESS if outcome == Deactivation.TERMINATING else messages.INFO
        summary = outcome.summary[0].upper() + outcome.summary[1:]
        modeladmin.message_user(request, f"{summary}: {count} cluster(s).", level)


@admin.register(Cluster)
class ClusterAdmin(CheckedGuardedModelAdmin):
    """Every user's clusters, for operators: inspect, correct the lifetime, terminate.

    Clusters are launched from the site only: a row added here would never be
    provisioned, so the admin cannot add any.
    """

    # The state within 1280 px: the key columns first, the rest on the change page and in the filters.
    list_display = [
        "identifier",
        "most_recent_status",
        "created_by",
        "size",
        "expires_at",
        "created_at",
        "emr_release",
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
        "termination_reason",
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
