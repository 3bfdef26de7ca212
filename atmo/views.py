"""The dashboard and the error pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import defaults
from django.views.generic import TemplateView

from atmo import live, tables
from atmo.decorators import modified_date
from atmo.jobs.permissions import maintainers_view_every_job
from atmo.pagecache import cached_page

# The tables' listings and rows live in atmo.tables (the list pages show them too);
# these names are where the dashboard documented them.
from atmo.tables import CLUSTERS_LISTING, JOBS_LISTING, DashboardJobFields  # noqa: F401

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from atmo.clusters.models import Cluster
    from atmo.tables import SummarizedJob


@method_decorator(cached_page("clusters", "jobs", "costs"), name="dispatch")
@method_decorator(modified_date, name="dispatch")
class DashboardView(LoginRequiredMixin, TemplateView):
    """The user's home page: their clusters and scheduled jobs."""

    template_name = "atmo/dashboard.html"
    http_method_names = ["get", "head"]
    #: Active filter for clusters: requested, starting, running or shutting down.
    active_cluster_filter = "active"
    #: Allowed filters for clusters.
    clusters_filters = list(CLUSTERS_LISTING.states)
    #: Default cluster filter.
    default_cluster_filter = CLUSTERS_LISTING.default_state
    #: Name of the group whose members may see everybody's Spark jobs.
    maintainer_group_name = settings.SPARK_JOB_MAINTAINERS_GROUP
    #: Allowed filters for Spark jobs; "all" is for maintainers only.
    jobs_filters = tables.JOB_OWNERS
    #: Default Spark job filter.
    default_jobs_filter = tables.JOB_OWNERS[0]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """The page; someone who is no maintainer asking for every job goes back to their own."""
        # Asked once per request: the page's live regions poll it every few seconds.
        self.sees_every_job = maintainers_view_every_job(request.user)
        shown = tables.jobs_shown(request, self.sees_every_job)
        if shown is None:
            return redirect("/")
        self.jobs_shown = shown
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """One page of clusters and one of jobs, as the query string asks (see
        :data:`CLUSTERS_LISTING` and :data:`JOBS_LISTING`), each job's next run,
        and the version the live poller compares."""
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        context.update(tables.clusters_table(self.request, CLUSTERS_LISTING))
        context.update(tables.jobs_table(self.request, JOBS_LISTING, self.jobs_shown, now))
        context.update(is_sparkjob_maintainer=self.sees_every_job)
        context.update(tables.tables_context(now, context["clusters"], context["spark_jobs"]))
        return context

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        if live.is_poll(self.request):
            return live.poll_response(self.request, tables.LIVE_TEMPLATE, context)
        return super().render_to_response(context, **kwargs)

    def get_spark_jobs(self, shown: str) -> QuerySet[SummarizedJob]:
        """The user's own jobs, or a maintainer's "all" (:func:`atmo.tables.get_spark_jobs`)."""
        return tables.get_spark_jobs(self.request.user, shown)

    def get_clusters(self) -> QuerySet[Cluster]:
        """The user's own clusters (:func:`atmo.tables.get_clusters`)."""
        return tables.get_clusters(self.request.user)


# The documented error views are Django's own. 403.html gets the reason as
# "exception"; 500.html is rendered with neither context nor request, so it
# stands alone: no base template, no live settings from Redis, no database.
permission_denied = defaults.permission_denied
server_error = defaults.server_error


@login_required
def bench_bare(request: HttpRequest) -> HttpResponse:
    """The load benchmark's baseline: the middleware, the session and the user, nothing of its own.

    Routed only with ``ATMO_BENCHMARK_BARE_VIEW`` on (see ``make bench``).
    """
    return HttpResponse("bare\n", content_type="text/plain")
