"""The clusters and Spark jobs tables: on the dashboard, and each on a page of its own.

The dashboard shows both tables with prefixed query parameters (``?clusters_sort=``,
``?jobs_page=``); the list pages (``/clusters/``, ``/jobs/``) show one, with the same
listing unprefixed (:data:`CLUSTERS_PAGE_LISTING`, :data:`JOBS_PAGE_LISTING`). Both
read their rows here, so that a user sees the same rows, under the same rules,
wherever the table is.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from guardian.shortcuts import get_objects_for_user

from atmo import live
from atmo.clusters.models import Cluster
from atmo.jobs.models import SparkJob
from atmo.jobs.queries import LatestRunSummary, SparkJobQuerySet
from atmo.lib.listing import Listing, ListParams, everything
from atmo.models import JobFlowModel

if TYPE_CHECKING:
    from datetime import datetime

    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.core.paginator import Page
    from django_stubs_ext import WithAnnotations

    SummarizedJob = WithAnnotations[SparkJob, LatestRunSummary]
    DashboardJob = WithAnnotations[SparkJob, "DashboardJobFields"]


class DashboardJobFields(LatestRunSummary):
    """A table row's job: its latest run's summary, and when it runs next."""

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

#: The clusters page's table: the dashboard's, with ``?state=``, ``?sort=``, ``?q=``...
CLUSTERS_PAGE_LISTING = dataclasses.replace(CLUSTERS_LISTING, prefix="", state_key="")
#: The jobs page's table: the dashboard's, with ``?state=``, ``?sort=``, ``?q=``...
JOBS_PAGE_LISTING = dataclasses.replace(JOBS_LISTING, prefix="")

#: A poll's answer: the poller and whichever tables the page shows.
LIVE_TEMPLATE = "atmo/_tables_live.html"

#: Whose jobs a table shows (``?jobs=``); "all" is for maintainers only, the first is the default.
JOB_OWNERS = ["mine", "all"]
#: The query key of the Mine/All switch, on the dashboard and on the jobs page alike.
JOB_OWNERS_KEY = "jobs"


def get_clusters(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Cluster]:
    """The user's own clusters.

    Only the user's direct object permission counts: group permissions and
    superuser status would fill an admin's tables with everyone's clusters.
    """
    return get_objects_for_user(
        user,
        "clusters.view_cluster",
        klass=Cluster,
        use_groups=False,
        with_superuser=False,
        accept_global_perms=False,
    ).select_related("emr_release")


def get_spark_jobs(user: AbstractBaseUser | AnonymousUser, shown: str) -> QuerySet[SummarizedJob]:
    """The user's own jobs, or for maintainers asking for "all" every job.

    Like clusters, "mine" counts only the user's direct object permission: a
    maintainer's group permission on every job must not fill "mine". Callers
    check that whoever asks for "all" is a maintainer (:func:`jobs_shown`).
    """
    spark_jobs = SparkJob.objects.all()
    if shown != "all":
        # Guardian filters the model's default manager, so this is a
        # SparkJobQuerySet; its annotation says only QuerySet. (Handing it the
        # annotated queryset instead costs a query per page of permissions.)
        spark_jobs = cast(
            SparkJobQuerySet,
            get_objects_for_user(
                user,
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


def jobs_shown(request: HttpRequest, maintainer: bool) -> str | None:
    """Whose jobs the request asks for (``?jobs=``): "mine" for anything unknown, None
    when someone who is no ``maintainer`` asks for "all" (the view sends them back to their own).

    ``maintainer`` is :func:`atmo.jobs.permissions.maintainers_view_every_job`, asked
    once per request by the view (the page's live regions poll it every few seconds).
    """
    shown = request.GET.get(JOB_OWNERS_KEY, JOB_OWNERS[0])
    if shown not in JOB_OWNERS:
        return JOB_OWNERS[0]
    if shown == "all" and not maintainer:
        return None
    return shown


def clusters_table(request: HttpRequest, listing: Listing) -> dict[str, Any]:
    """What ``atmo/_clusters_table.html`` shows: one page of the user's clusters."""
    params = listing.read(request.GET)
    return {
        "clusters_filters": list(listing.states),
        "clusters_shown": params.state,
        "cluster_params": params,
        "clusters": params.paginate(get_clusters(request.user)),
    }


def jobs_table(request: HttpRequest, listing: Listing, shown: str, now: datetime) -> dict[str, Any]:
    """What ``atmo/_jobs_table.html`` shows: one page of the jobs ``shown``, each with its next run."""
    params = listing.read(request.GET)
    spark_jobs = params.paginate(get_spark_jobs(request.user, shown))
    for spark_job in cast("list[DashboardJob]", spark_jobs.object_list):
        spark_job.next_run = spark_job.schedule.next_slot(now)
    return {
        "jobs_filters": JOB_OWNERS,
        "job_owner_links": owner_links(params, shown),
        "job_states": list(listing.states),
        "jobs_shown": shown,
        "job_params": params,
        "spark_jobs": spark_jobs,
        "all_job_filter": shown == "all",
    }


def owner_links(params: ListParams, shown: str) -> list[tuple[str, str, bool]]:
    """The Mine/All switch: (name, query string, current) each, back to the table's first page."""
    links = []
    for name in JOB_OWNERS:
        query = params.query.copy()
        query.pop(params.listing.key("page"), None)
        query.pop(JOB_OWNERS_KEY, None)
        if name != JOB_OWNERS[0]:
            query[JOB_OWNERS_KEY] = name
        links.append((name, f"?{query.urlencode()}", name == shown))
    return links


def tables_context(
    now: datetime, clusters: Page[Cluster] | None = None, spark_jobs: Page[Any] | None = None
) -> dict[str, Any]:
    """The tables' last change (``modified_date``) and the live regions' version and poller.

    The version covers the rows shown, each job's latest run and whether its next
    run is due, and the lists' lengths. Polling goes on while a cluster shown is
    not over or a job shown may still run.
    """
    cluster_rows = list(clusters) if clusters is not None else []
    jobs = cast("list[DashboardJob]", list(spark_jobs) if spark_jobs is not None else [])
    etag = live.version(
        [(c.pk, c.modified_at) for c in cluster_rows],
        [
            (j.pk, j.modified_at, j.latest_run_modified_at, j.next_run, j.next_run and j.next_run <= now)
            for j in jobs
        ],
        clusters.paginator.count if clusters is not None else None,
        spark_jobs.paginator.count if spark_jobs is not None else None,
    )
    can_change = any(c.state not in JobFlowModel.FINAL for c in cluster_rows) or any(
        j.next_run is not None or (j.latest_run_status or "") in JobFlowModel.ACTIVE for j in jobs
    )
    regions = [
        *(["live-clusters"] if clusters is not None else []),
        *(["live-jobs"] if spark_jobs is not None else []),
    ]
    modified_date = max(
        [
            *(cluster.modified_at for cluster in cluster_rows),
            *(spark_job.modified_at for spark_job in jobs),
            *(job.latest_run_modified_at for job in jobs if job.latest_run_modified_at),
        ],
        default=None,
    )
    return {"now": now, "modified_date": modified_date, **live.live_context(etag, can_change, regions)}
