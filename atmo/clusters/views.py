"""Pages to launch, watch, extend and terminate a cluster.

No view talks to AWS on the request path except "terminate", which the user
waits for on purpose; launching is a Celery task enqueued once the row exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods, require_safe

from atmo import live, tables
from atmo.access import get_object_for, model_permission
from atmo.clusters.forms import ExtendClusterForm, NewClusterForm
from atmo.clusters.models import Cluster, Deactivation, EMRRelease
from atmo.clusters.tasks import provision_cluster
from atmo.decorators import modified_date
from atmo.models import next_field_value
from atmo.names import random_scientist
from atmo.pagecache import cached_page
from atmo.provisioners import AWSError, describe_aws_failure

NO_KEY_MESSAGE = "You need an SSH key before you can launch a cluster."
NOT_EXTENDABLE_MESSAGE = "This cluster is not active anymore, so its lifetime can't be extended."

#: What the user reads after "Terminate now", for each outcome of ``deactivate()``.
DEACTIVATION_MESSAGES = {
    Deactivation.WITHDRAWN: "Cluster <strong>{}</strong> is terminated; AWS had not started it yet.",
    Deactivation.TERMINATING: "Cluster <strong>{}</strong> is shutting down.",
    Deactivation.GONE: "Cluster <strong>{}</strong> was already gone: AWS no longer knows it.",
    Deactivation.ALREADY_OVER: "Cluster <strong>{}</strong> had already ended; there was nothing to stop.",
}

#: The live regions of the cluster page (atmo/live.py).
LIVE_REGIONS = ["live-cluster-header", "live-cluster-main", "live-cluster-facts"]

#: The methods of the pages with a form; every other page only reads.
FORM_METHODS = ["GET", "HEAD", "POST"]


def new_cluster_initial(user: Any) -> dict[str, Any]:
    newest_key = user.created_sshkeys.order_by("-created_at", "-pk").first()
    stable = EMRRelease.objects.stable().natural_sort_by_version().first()
    return {
        "identifier": next_field_value(Cluster, "identifier", random_scientist()),
        "size": Cluster.DEFAULT_SIZE,
        "lifetime": Cluster.DEFAULT_LIFETIME,
        "ssh_key": newest_key.pk if newest_key else None,
        "emr_release": stable.pk if stable else None,
    }


def get_cluster_for(request: HttpRequest, cluster_id: int, action: str) -> Cluster:
    """The cluster, with what its pages show of its release and key, if the user may ``action`` it.

    404 when it does not exist, 403 when the user has no such object permission.
    """
    clusters = Cluster.objects.select_related("emr_release", "ssh_key")
    return get_object_for(request, clusters, model_permission(Cluster, action), pk=cluster_id)


def is_changeable(cluster: Cluster) -> bool:
    return cluster.is_active and not cluster.is_terminating


def already_ending_message(cluster: Cluster) -> SafeString:
    """Why terminating a cluster that is not :func:`is_changeable` asks nothing of AWS."""
    state = "is already shutting down" if cluster.is_terminating else "was already terminated"
    return format_html("Cluster <strong>{}</strong> {}.", cluster, state)


@login_required
@require_http_methods(FORM_METHODS)
def new_cluster(request: HttpRequest) -> HttpResponse:
    if not request.user.created_sshkeys.exists():  # type: ignore[union-attr]
        # Guidance, not a failure: the next step, shown as information.
        messages.info(request, NO_KEY_MESSAGE)
        return redirect("keys-new")
    # Bound on every POST, an empty one too: it gets the "required" errors back.
    data = request.POST if request.method == "POST" else None
    form = NewClusterForm(request.user, data=data, initial=new_cluster_initial(request.user))
    if request.method == "POST" and form.is_valid():
        cluster = form.save()
        # The worker must find the row: enqueue only once it is committed.
        provision_cluster.delay_on_commit(cluster.pk)
        messages.success(
            request,
            format_html("Cluster <strong>{}</strong> requested. It takes a few minutes to start.", cluster),
        )
        return redirect(cluster)
    return render(request, "clusters/new.html", {"form": form})


@login_required
@require_safe
@cached_page("clusters", "costs")
@modified_date
def list_clusters(request: HttpRequest) -> HttpResponse:
    """All the user's clusters: the dashboard's table with ``?state=``, ``?sort=``, ``?q=``, ``?page=``."""
    context = tables.clusters_table(request, tables.CLUSTERS_PAGE_LISTING)
    context.update(tables.tables_context(timezone.now(), clusters=context["clusters"]))
    if live.is_poll(request):
        return live.poll_response(request, tables.LIVE_TEMPLATE, context)
    return TemplateResponse(request, "clusters/list.html", context)


@login_required
@require_safe
@cached_page("clusters", "keys", "costs")
@modified_date
def detail_cluster(request: HttpRequest, id: int) -> HttpResponse:
    try:
        cluster = get_cluster_for(request, id, "view")
    except PermissionDenied:
        live.not_found_for_polls(request)
        raise
    context = {"cluster": cluster, "changeable": is_changeable(cluster), "modified_date": cluster.modified_at}
    # The expiry warning turns on by itself an hour before the end.
    etag = live.version(live.rows_version([cluster]), cluster.is_active and cluster.is_expiring_soon)
    context.update(live.live_context(etag, cluster.state not in cluster.FINAL, LIVE_REGIONS))
    if live.is_poll(request):
        return live.poll_response(request, "clusters/_live.html", context)
    return TemplateResponse(request, "clusters/detail.html", context)


@login_required
@require_http_methods(FORM_METHODS)
def extend_cluster(request: HttpRequest, id: int) -> HttpResponse:
    cluster = get_cluster_for(request, id, "change")
    if not is_changeable(cluster):
        messages.info(request, NOT_EXTENDABLE_MESSAGE)
        return redirect(cluster)
    form = ExtendClusterForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        cluster.extend(form.cleaned_data["extension"])
        messages.success(
            request,
            format_html(
                "Cluster <strong>{}</strong> now shuts down at {} UTC.",
                cluster,
                f"{cluster.expires_at:%Y-%m-%d %H:%M}",
            ),
        )
        return redirect(cluster)
    return render(request, "clusters/extend.html", {"cluster": cluster, "form": form})


@login_required
@require_http_methods(FORM_METHODS)
def terminate_cluster(request: HttpRequest, id: int) -> HttpResponse:
    cluster = get_cluster_for(request, id, "delete")
    if not is_changeable(cluster):
        # Nothing to ask AWS: the cluster is gone or already on its way out.
        messages.info(request, already_ending_message(cluster))
        return redirect(cluster)
    if request.method != "POST":
        return render(request, "clusters/confirm_terminate.html", {"cluster": cluster})
    try:
        outcome = cluster.deactivate(Cluster.TERMINATED_BY_OWNER)
    except AWSError as exc:
        failure = describe_aws_failure(exc, "The cluster could not be terminated", "Nothing was changed.")
        messages.error(request, str(failure))
    else:
        messages.success(request, format_html(DEACTIVATION_MESSAGES[outcome], cluster))
    return redirect(cluster)
