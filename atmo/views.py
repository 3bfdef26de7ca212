"""The dashboard and the error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseServerError
from django.template import loader
from django.template.exceptions import TemplateDoesNotExist
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import requires_csrf_token
from django.views.generic import TemplateView
from guardian.shortcuts import get_objects_for_user

from atmo.clusters.models import Cluster
from atmo.decorators import modified_date


@method_decorator(modified_date, name="dispatch")
class DashboardView(LoginRequiredMixin, TemplateView):
    """The user's home page: their clusters and scheduled jobs."""

    template_name = "atmo/dashboard.html"
    http_method_names = ["get", "head"]
    #: Allowed filters for clusters.
    clusters_filters = ["active", "terminated", "failed", "all"]
    #: Default cluster filter.
    default_cluster_filter = "active"
    #: Name of the group whose members may see everybody's Spark jobs.
    maintainer_group_name = "Spark job maintainers"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        shown = self.request.GET.get("clusters", self.default_cluster_filter)
        if shown not in self.clusters_filters:
            shown = self.default_cluster_filter
        clusters = list(self.get_clusters(shown))
        context.update(
            clusters_filters=self.clusters_filters,
            clusters_shown=shown,
            clusters=clusters,
            # The page's script polls for this; a change re-renders the table.
            modified_date=max((cluster.modified_at for cluster in clusters), default=None),
        )
        return context

    def get_clusters(self, shown: str) -> QuerySet[Cluster]:
        """The user's own clusters for a filter name, newest first.

        Only the user's direct object permission counts: group permissions and
        superuser status would fill an admin's dashboard with everyone's clusters.
        """
        clusters = getattr(Cluster.objects, shown)()
        return (
            get_objects_for_user(
                self.request.user,
                "clusters.view_cluster",
                klass=clusters,
                use_groups=False,
                with_superuser=False,
                accept_global_perms=False,
            )
            .select_related("emr_release")
            .order_by("-created_at")
        )


def _render_error(
    request: HttpRequest,
    template_name: str,
    default_name: str,
    status: int,
    fallback: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    try:
        template = loader.get_template(template_name)
    except TemplateDoesNotExist:
        # A custom template that is missing is a programming error; the default one
        # missing must still not turn an error page into a crash.
        if template_name != default_name:
            raise
        return HttpResponse(fallback, status=status, content_type="text/html")
    return HttpResponse(template.render(context or {}, request), status=status)


@requires_csrf_token
def permission_denied(
    request: HttpRequest, exception: Exception, template_name: str = "403.html"
) -> HttpResponse:
    """403 handler; shows the reason carried by the ``PermissionDenied``."""
    response = _render_error(
        request,
        template_name,
        "403.html",
        HttpResponseForbidden.status_code,
        "<h1>403 Forbidden</h1>",
        {"exception": str(exception)},
    )
    return response


@requires_csrf_token
def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """500 handler; renders with the request so the page keeps the site's look."""
    return _render_error(
        request,
        template_name,
        "500.html",
        HttpResponseServerError.status_code,
        "<h1>Server Error (500)</h1>",
    )
