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

from atmo import live
from atmo.clusters.models import Cluster
from atmo.decorators import modified_date
from atmo.jobs.models import SparkJob
from atmo.jobs.permissions import maintainers_view_every_job
from atmo.jobs.queries import LatestRunSummary, SparkJobQuerySet
from atmo.lib.listing import Listing, everything
from atmo.models import JobFlowModel
from atmo.pagecache import cached_page

if TYPE_CHECKING:
    from datetime import datetime

    from django.core.paginator import Page
    from django_stubs_ext import WithAnnotations

    SummarizedJob = WithAnnotations[SparkJob, LatestRunSummary]
    DashboardJob = WithAnnotations[SparkJob, "DashboardJobFields"]


class DashboardJobFields(LatestRunSummary):
    """A dashboard row's job: its latest run's summary, and when it runs next."""

    next_run: datetime | None


#: The dashboard's clusters table: ``?clusters=`` (the state buttons), ``?clusters_sort=``, ...
CLUSTERS_LISTING = Listing(
    prefix="clusters_",
    state_key="clusters",
    sorts={
        "name": ["identifier"],
        "state": ["most_recent_status"],
        "created": ["created_at"],
        "expires": ["expires_at"],
    },
    default_sort="-created",
    states={
        "active": lambda clusters: clusters.active(),
        "terminated": lambda clusters: clusters.terminated(),
        "failed": lambda clusters: clusters.failed(),
        "all": everything,
    },
    search="identifier__icontains",
)

#: The dashboard's jobs table: ``?jobs_sort=next``, ``?jobs_state=scheduled``, ``?jobs_q=``...
JOBS_LISTING = Listing(
    prefix="jobs_",
    sorts={
        "name": ["identifier"],
        "state": ["latest_run_status"],
        "created": ["created_at"],
        "start": ["start_date"],
        "next": ["next_run_order"],
    },
    default_sort="-start",
    states={
        "all": everything,
        "scheduled": lambda jobs: jobs.scheduled(),
        "disabled": lambda jobs: jobs.filter(is_enabled=False),
        "ended": lambda jobs: jobs.filter(expired_date__isnull=False),
    },
    search="identifier__icontains",
)


@method_decorator(cached_page("clusters", "jobs", "costs"), name="dispatch")
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
        # Asked once per request: the page's live regions poll it every few seconds.
        self.sees_every_job = maintainers_view_every_job(request.user)
        if request.GET.get("jobs") == "all" and not self.sees_every_job:
            return redirect("/")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """One page of clusters and one of jobs, as the query string asks (see
        :data:`CLUSTERS_LISTING` and :data:`JOBS_LISTING`), each job's next run,
        and the version the live poller compares."""
        context = super().get_context_data(**kwargs)
        cluster_params = CLUSTERS_LISTING.read(self.request.GET)
        clusters = cluster_params.paginate(self.get_clusters())
        jobs_shown = self.request.GET.get("jobs", self.default_jobs_filter)
        if jobs_shown not in self.jobs_filters:
            jobs_shown = self.default_jobs_filter
        job_params = JOBS_LISTING.read(self.request.GET)
        spark_jobs = job_params.paginate(self.get_spark_jobs(jobs_shown))
        now = timezone.now()
        jobs = cast("list[DashboardJob]", spark_jobs.object_list)
        for spark_job in jobs:
            spark_job.next_run = spark_job.schedule.next_slot(now)
        context.update(
            clusters_filters=self.clusters_filters,
            clusters_shown=cluster_params.state,
            cluster_params=cluster_params,
            clusters=clusters,
            jobs_filters=self.jobs_filters,
            job_states=list(JOBS_LISTING.states),
            jobs_shown=jobs_shown,
            job_params=job_params,
            spark_jobs=spark_jobs,
            now=now,
            is_sparkjob_maintainer=self.sees_every_job,
            all_job_filter=jobs_shown == "all",
            modified_date=max(
                [
                    *(cluster.modified_at for cluster in clusters),
                    *(spark_job.modified_at for spark_job in jobs),
                    *(job.latest_run_modified_at for job in jobs if job.latest_run_modified_at),
                ],
                default=None,
            ),
        )
        context.update(self.live_context(clusters, jobs, now))
        return context

    def live_context(
        self, clusters: Page[Cluster], jobs: list[DashboardJob], now: datetime
    ) -> dict[str, Any]:
        """The tables' version: their rows, each job's latest run and whether its next run is due.

        Polling goes on while a cluster shown is not over or a job shown may still run.
        """
        etag = live.version(
            [(c.pk, c.modified_at) for c in clusters],
            [
                (j.pk, j.modified_at, j.latest_run_modified_at, j.next_run, j.next_run and j.next_run <= now)
                for j in jobs
            ],
            clusters.paginator.count,
            len(jobs),
        )
        can_change = any(c.state not in JobFlowModel.FINAL for c in clusters) or any(
            j.next_run is not None or (j.latest_run_status or "") in JobFlowModel.ACTIVE for j in jobs
        )
        return live.live_context(etag, can_change, ["live-clusters", "live-jobs"])

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        if live.is_poll(self.request):
            return live.poll_response(self.request, "atmo/_dashboard_live.html", context)
        return super().render_to_response(context, **kwargs)

    def get_spark_jobs(self, shown: str) -> QuerySet[SummarizedJob]:
        """The user's own jobs, or for maintainers asking for "all" every job.

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
            .with_next_run_order()
            .with_latest_run_summary()
        )

    def get_clusters(self) -> QuerySet[Cluster]:
        """The user's own clusters.

        Only the user's direct object permission counts: group permissions and
        superuser status would fill an admin's dashboard with everyone's clusters.
        """
        return get_objects_for_user(
            self.request.user,
            "clusters.view_cluster",
            klass=Cluster,
            use_groups=False,
            with_superuser=False,
            accept_global_perms=False,
        ).select_related("emr_release")


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
