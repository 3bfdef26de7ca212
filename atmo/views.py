"""The dashboard and the error pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import defaults
from django.views.generic import TemplateView
from guardian.shortcuts import get_objects_for_user

from atmo.clusters.models import Cluster
from atmo.decorators import modified_date
from atmo.jobs.models import SparkJob
from atmo.jobs.permissions import maintainers_view_every_job
from atmo.jobs.queries import LatestRunSummary, SparkJobQuerySet

if TYPE_CHECKING:
    from datetime import datetime

    from django_stubs_ext import WithAnnotations

    SummarizedJob = WithAnnotations[SparkJob, LatestRunSummary]
    DashboardJob = WithAnnotations[SparkJob, "DashboardJobFields"]


class DashboardJobFields(LatestRunSummary):
    """A dashboard row's job: its latest run's summary, and when it runs next."""

    next_run: datetime | None


@method_decorator(modified_date, name="dispatch")
class DashboardView(LoginRequiredMixin, TemplateView):
    """The user's home page: their clusters and scheduled jobs."""

    template_name = "atmo/dashboard.html"
    http_method_names = ["get", "head"]
    #: Active filter for clusters: requested, starting, running or shutting down.
    active_cluster_filter = "active"
    #: Allowed filters for clusters.
    clusters_filters = [active_cluster_filter, "terminated", "failed", "all"]
    #: Default cluster filter.
    default_cluster_filter = active_cluster_filter
    #: Name of the group whose members may see everybody's Spark jobs.
    maintainer_group_name = settings.SPARK_JOB_MAINTAINERS_GROUP
    #: Allowed filters for Spark jobs; "all" is for maintainers only.
    jobs_filters = ["mine", "all"]
    #: Default Spark job filter.
    default_jobs_filter = "mine"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """The page; someone who is no maintainer asking for every job goes back to their own."""
        # Asked once per request: the page polls itself with HEAD every few seconds.
        self.sees_every_job = maintainers_view_every_job(request.user)
        if request.GET.get("jobs") == "all" and not self.sees_every_job:
            return redirect("/")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """The clusters and jobs of the chosen filters (unknown ones fall back to the
        defaults), each job's next run, and the newest ``modified_date``."""
        context = super().get_context_data(**kwargs)
        shown = self.request.GET.get("clusters", self.default_cluster_filter)
        if shown not in self.clusters_filters:
            shown = self.default_cluster_filter
        clusters = list(self.get_clusters(shown))
        jobs_shown = self.request.GET.get("jobs", self.default_jobs_filter)
        if jobs_shown not in self.jobs_filters:
            jobs_shown = self.default_jobs_filter
        spark_jobs = cast("list[DashboardJob]", list(self.get_spark_jobs(jobs_shown)))
        now = timezone.now()
        for spark_job in spark_jobs:
            spark_job.next_run = spark_job.schedule.next_slot(now)
        context.update(
            clusters_filters=self.clusters_filters,
            clusters_shown=shown,
            clusters=clusters,
            jobs_filters=self.jobs_filters,
            jobs_shown=jobs_shown,
            spark_jobs=spark_jobs,
            now=now,
            is_sparkjob_maintainer=self.sees_every_job,
            all_job_filter=jobs_shown == "all",
            # The page's script polls for this; a change re-renders the tables.
            modified_date=max(
                [
                    *(cluster.modified_at for cluster in clusters),
                    *(spark_job.modified_at for spark_job in spark_jobs),
                    *(job.latest_run_modified_at for job in spark_jobs if job.latest_run_modified_at),
                ],
                default=None,
            ),
        )
        return context

    def get_spark_jobs(self, shown: str) -> QuerySet[SummarizedJob]:
        """The user's own jobs, or for maintainers asking for "all" every job, by start date.

        Like clusters, "mine" counts only the user's direct object permission: a
        maintainer's group permission on every job must not fill "mine".
        """
        spark_jobs = SparkJob.objects.all()
        if shown != "all":
            # Guardian filters the model's default manager, so this is a
            # SparkJobQuerySet; its annotation says only QuerySet. (Handing it the
            # annotated queryset instead costs a query per page of permissions.)
            spark_jobs = cast(
                SparkJobQuerySet,
                get_objects_for_user(
                    self.request.user,
                    "jobs.view_sparkjob",
                    klass=SparkJob,
                    use_groups=False,
                    with_superuser=False,
                    accept_global_perms=False,
                ),
            )
        return (
            spark_jobs.select_related("created_by")
            .with_latest_slot()
            .with_latest_run_summary()
            .order_by("-start_date", "-pk")
        )

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
