"""Pages to schedule, watch, edit, run and delete Spark jobs.

The owner may do everything; members of the maintainers group may look
(detail, download, Zeppelin output) at every job but change none of them:
"Run now" needs the change permission like editing does.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.text import capfirst, get_valid_filename
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_safe
from guardian.shortcuts import get_perms

from atmo import live, pagecache, tables
from atmo.access import get_or_gone
from atmo.clusters.models import EMRRelease
from atmo.costs.budgets import refusal_for
from atmo.decorators import modified_date
from atmo.jobs import s3_cache
from atmo.jobs.exceptions import SparkJobNotFound
from atmo.jobs.forms import MESSAGES, EditSparkJobForm, NewSparkJobForm, RunNowForm, SparkJobAvailableForm
from atmo.jobs.models import Deletion, JobDeletion, RunNow, SparkJob, SparkJobRun
from atmo.jobs.permissions import get_job_for, maintainers_view_every_job
from atmo.jobs.provisioners import NotebookNotFound, OutputNotFound, SparkJobProvisioner
from atmo.lib.listing import Listing, everything
from atmo.lib.notebooks import NotebookError, Preview, parse_preview
from atmo.pagecache import cached_page
from atmo.provisioners import TRY_AGAIN_SOON, AWSError, describe_aws_failure
from atmo.tombstones import bury

#: The detail page lists this many runs, newest first (a daily job makes 365 a year).
#: The job page's run history: ``?sort=-scheduled``, ``?state=failed``, ``?q=<jobflow id>``, ``?page=2``.
RUNS_LISTING = Listing(
    sorts={
        "created": ["created_at"],
        "state": ["status"],
        "scheduled": ["scheduled_at"],
        "finished": ["finished_at"],
    },
    default_sort="-created",
    states={
        "all": everything,
        "active": lambda runs: runs.active(),
        "finished": lambda runs: runs.terminated(),
        "failed": lambda runs: runs.failed(),
    },
    search="jobflow_id__icontains",
)
#: The live regions of the job page and of the run page (atmo/live.py).
LIVE_JOB_REGIONS = [
    "live-job-header",
    "live-job-failure",
    "live-job-runs",
    "live-job-results",
    "live-job-facts",
]
LIVE_RUN_REGIONS = ["live-run-header", "live-run-failure", "live-run-outputs", "live-run-facts"]
#: Zeppelin pages show at most this many Markdown results of the latest run.
MAX_MARKDOWN_RESULTS = 20
DOWNLOAD_CHUNK_BYTES = 64 * 1024
#: The start date offered for a new job: time enough to fill in the form.
NEW_JOB_START_DELAY = timedelta(minutes=10)
CONTENT_TYPES = {".ipynb": "application/x-ipynb+json", ".json": "application/json"}

#: What "Run now" tells the user for each outcome but a start and AWS being unavailable.
RUN_NOW_REFUSALS = {
    RunNow.BUSY: "A run is already under way. Wait for it to finish before starting another one.",
    RunNow.DISABLED: "This job was disabled by an administrator, so it cannot run.",
    RunNow.REFUSED: "AWS refused to start the run; the run history below says why.",
}
#: What the job's page says when S3 would not list the results.
RESULTS_NOT_LISTED = "The results could not be listed from S3"
#: What is left when something kept a job from being deleted.
NOTHING_DELETED = "Nothing was deleted."


def new_job_initial() -> dict[str, Any]:
    start = (timezone.now() + NEW_JOB_START_DELAY).replace(second=0, microsecond=0)
    stable = EMRRelease.objects.stable().natural_sort_by_version().first()
    return {
        "size": 1,
        "result_visibility": SparkJob.RESULT_PRIVATE,
        "interval_in_hours": SparkJob.INTERVAL_WEEKLY,
        "job_timeout": 24,
        "start_date": start,
        "emr_release": stable.pk if stable else None,
    }


def save_job_form(form: NewSparkJobForm | EditSparkJobForm) -> SparkJob | None:
    """Save a valid form; None when it could not be saved (the form then says why)."""
    try:
        spark_job = form.save()
    except AWSError:
        return None  # S3 refused the notebook; the form carries AWS's reason
    except IntegrityError:
        # Two people chose the same new identifier at the same moment.
        form.add_error("identifier", MESSAGES["identifier_taken"])
        return None
    form.forget_cached_files()
    return spark_job


@login_required
@require_safe
@cached_page("jobs", "costs")
@modified_date
def list_spark_jobs(request: HttpRequest) -> HttpResponse:
    """All the user's scheduled jobs (maintainers: ``?jobs=all``, everybody's): the dashboard's
    table with ``?state=``, ``?sort=``, ``?q=``, ``?page=``."""
    maintainer = maintainers_view_every_job(request.user)
    shown = tables.jobs_shown(request, maintainer)
    if shown is None:
        # Someone who is no maintainer asked for every job: back to their own, the rest kept.
        query = request.GET.copy()
        query.pop(tables.JOB_OWNERS_KEY)
        return redirect(f"{reverse('jobs-list')}?{query.urlencode()}" if query else reverse("jobs-list"))
    now = timezone.now()
    context = tables.jobs_table(request, tables.JOBS_PAGE_LISTING, shown, now)
    context.update(is_sparkjob_maintainer=maintainer)
    context.update(tables.tables_context(now, spark_jobs=context["spark_jobs"]))
    if live.is_poll(request):
        return live.poll_response(request, tables.LIVE_TEMPLATE, context)
    return TemplateResponse(request, "jobs/list.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_spark_job(request: HttpRequest) -> HttpResponse:
    form = NewSparkJobForm(
        request.user,
        data=request.POST if request.method == "POST" else None,
        files=request.FILES if request.method == "POST" else None,
        initial=new_job_initial(),
    )
    if request.method == "POST" and form.is_valid() and (spark_job := save_job_form(form)):
        messages.success(
            request,
            format_html(
                "Spark job <strong>{}</strong> scheduled. Its first run starts at {} UTC.",
                spark_job,
                f"{spark_job.start_date:%Y-%m-%d %H:%M}",
            ),
        )
        return redirect(spark_job)
    return render(request, "jobs/new.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_spark_job(request: HttpRequest, id: int) -> HttpResponse:
    spark_job = get_job_for(request, id, "change")
    form = EditSparkJobForm(
        request.user,
        data=request.POST if request.method == "POST" else None,
        files=request.FILES if request.method == "POST" else None,
        instance=spark_job,
    )
    if request.method == "POST" and form.is_valid() and save_job_form(form):
        messages.success(request, format_html("Spark job <strong>{}</strong> saved.", spark_job))
        return redirect(spark_job)
    if form.errors:  # the form has changed the instance it edits: show the job as it is stored
        spark_job.refresh_from_db()
    return render(request, "jobs/edit.html", {"form": form, "spark_job": spark_job})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_spark_job(request: HttpRequest, id: int) -> HttpResponse:
    spark_job = get_job_for(request, id, "delete")
    if request.method != "POST":
        return render(request, "jobs/confirm_delete.html", {"spark_job": spark_job})
    job_id = spark_job.pk
    deletion = spark_job.delete_safely()
    if deletion.outcome == Deletion.DELETED:
        bury(spark_job, request.user, object_id=job_id)
        messages.success(request, format_html("Spark job <strong>{}</strong> deleted.", spark_job.identifier))
        return redirect("dashboard")
    messages.error(request, deletion_failure_message(deletion))
    return redirect(spark_job)


def deletion_failure_message(deletion: JobDeletion) -> str:
    what_failed = capfirst(deletion.outcome.what_failed)
    if deletion.error is None:
        return f"{what_failed}. {NOTHING_DELETED} {TRY_AGAIN_SOON}"
    return str(describe_aws_failure(deletion.error, what_failed, NOTHING_DELETED))


@login_required
@require_safe
@cached_page("jobs", "costs")
@modified_date
def detail_spark_job(request: HttpRequest, id: int) -> HttpResponse:
    try:
        spark_job = get_job_for(request, id, "view", SparkJob.objects.with_latest_run())
    except PermissionDenied:
        live.not_found_for_polls(request)
        raise
    params = RUNS_LISTING.read(request.GET)
    runs = params.paginate(spark_job.runs.select_related("requested_by").prefetch_related("alerts"))
    perms = get_perms(request.user, spark_job)
    now = timezone.now()
    next_run_at = spark_job.schedule.next_slot(now)
    latest = spark_job.latest_run()
    context: dict[str, Any] = {
        "spark_job": spark_job,
        "runs": runs,
        "run_params": params,
        "run_states": list(RUNS_LISTING.states),
        "can_change": "change_sparkjob" in perms,
        "can_delete": "delete_sparkjob" in perms,
        "modified_date": max([spark_job.modified_at, *(run.modified_at for run in runs)]),
        "next_run_at": next_run_at,
        "now": now,
    }
    shown_runs = [*runs, *([latest] if latest else [])]
    etag = live.version(
        live.rows_version([spark_job, *shown_runs]),
        runs.paginator.count,
        sorted(perms),
        next_run_at,
        next_run_at is not None and next_run_at <= now,
    )
    can_change = next_run_at is not None or any(run.is_active for run in shown_runs)
    context.update(live.live_context(etag, can_change, LIVE_JOB_REGIONS))
    if live.is_poll(request):
        # S3 is asked for the results only when the regions are rendered again.
        return live.poll_response(
            request, "jobs/_live.html", context, more=lambda: results_from_aws(spark_job)
        )
    # A HEAD asks for the headers only: no S3 calls then.
    if request.method == "GET":
        context.update(detail_from_aws(spark_job))
    if context.get("live_retry"):
        context["live_etag"] = live.retry_version(context["live_etag"])
    response = TemplateResponse(request, "jobs/detail.html", context)
    if context.get("live_retry"):
        # The next view asks S3 again (atmo.jobs.s3_cache keeps no error): no cache may keep this answer.
        response["Cache-Control"] = "no-store"
        pagecache.keep_out(response)
    return response


@dataclass
class ResultLink:
    """A result file: its S3 key, the name shown (the key without the identifier) and its link."""

    key: str
    name: str
    url: str


def detail_from_aws(spark_job: SparkJob) -> dict[str, Any]:
    context = results_from_aws(spark_job)
    context["preview"], context["preview_error"] = notebook_preview(spark_job)
    context["live_retry"] = bool(context["results_error"] or context["preview_error"])
    return context


def results_from_aws(spark_job: SparkJob) -> dict[str, Any]:
    """The job's results as listed in S3 (one call, none while cached), or why they could not be."""
    context: dict[str, Any] = {"results": {"data": [], "logs": []}, "results_error": ""}
    try:
        context["results"] = result_links(spark_job)
    except AWSError as exc:
        context["results_error"] = str(describe_aws_failure(exc, RESULTS_NOT_LISTED))
    # A passing error: the live poll and the page cache ask again (atmo.live.retry_version).
    context["live_retry"] = bool(context["results_error"])
    context["has_markdown_results"] = any(link.key.endswith(".md") for link in context["results"]["data"])
    context["link_minutes"] = s3_cache.LINK_MINUTES_LEFT
    return context


def result_links(spark_job: SparkJob) -> dict[str, list[ResultLink]]:
    """The job's result files, ``data`` and ``logs`` (newest first), with links; raises AWSError.

    Listed and signed through :mod:`atmo.jobs.s3_cache`: a view that finds both cached
    makes no S3 call and no provisioner.
    """
    # Made only if S3 is asked or links signed: making one reads a live setting from Redis.
    provisioner = functools.cache(lambda: spark_job.provisioner)
    listing = s3_cache.results_cache_key(spark_job)
    groups = s3_cache.result_keys(spark_job, listing, provisioner)
    # Newest logs first.
    ordered = {group: sorted(groups.get(group, []), reverse=group == "logs") for group in ("data", "logs")}
    urls = s3_cache.result_urls(spark_job, listing, [*ordered["data"], *ordered["logs"]], provisioner)
    prefix_length = len(spark_job.identifier) + 1
    return {
        group: [ResultLink(key, key[prefix_length:], urls[key]) for key in keys]
        for group, keys in ordered.items()
    }


def notebook_preview(spark_job: SparkJob) -> tuple[Preview | None, str]:
    """The notebook rendered as data for the template, or why it cannot be shown.

    Kept in the cache (:func:`atmo.jobs.s3_cache.notebook_preview`) unless S3 failed to give it.
    """
    try:
        return s3_cache.notebook_preview(spark_job, lambda: read_notebook_preview(spark_job))
    except NotebookNotFound:
        return None, "The notebook is no longer stored in S3. Upload it again by editing the job."
    except AWSError as exc:
        return None, str(describe_aws_failure(exc, "The notebook could not be fetched from S3"))


def read_notebook_preview(spark_job: SparkJob) -> tuple[Preview | None, str]:
    """The notebook from S3 as a preview, or why its content cannot be shown; raises AWSError."""
    s3_object = spark_job.provisioner.get(spark_job.notebook_s3_key)
    body = s3_object["Body"]
    try:
        if (s3_object.get("ContentLength") or 0) > settings.ATMO_MAX_NOTEBOOK_BYTES:
            return None, "The notebook is too large to show here; download it instead."
        return parse_preview(spark_job.notebook_name, body.read()), ""
    except NotebookError as exc:
        return None, f"The notebook cannot be shown: {exc}"
    finally:
        body.close()


@login_required
@require_GET  # a HEAD would fetch the object from S3 only to throw it away
def download_spark_job(request: HttpRequest, id: int) -> HttpResponseBase:
    """The notebook as a file, streamed from S3 without decoding it."""
    spark_job = get_job_for(request, id, "view")
    try:
        s3_object = spark_job.provisioner.get(spark_job.notebook_s3_key)
    except NotebookNotFound:
        return render(request, "jobs/notebook_missing.html", {"spark_job": spark_job}, status=404)
    except AWSError as exc:
        messages.error(request, str(describe_aws_failure(exc, "The notebook could not be fetched from S3")))
        return redirect(spark_job)
    name = get_valid_filename(spark_job.notebook_name)
    extension = name[name.rfind(".") :].lower() if "." in name else ""
    response = StreamingHttpResponse(
        stream_body(s3_object["Body"]), content_type=CONTENT_TYPES.get(extension, "application/octet-stream")
    )
    response["Content-Length"] = str(s3_object["ContentLength"])
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


def stream_body(body: Any) -> Iterator[bytes]:
    """The S3 object's body in chunks, closed at the end."""
    # Closing the S3 stream even when the client goes away half-way frees the connection.
    try:
        yield from body.iter_chunks(DOWNLOAD_CHUNK_BYTES)
    finally:
        body.close()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def run_spark_job(request: HttpRequest, id: int) -> HttpResponse:
    spark_job = get_job_for(request, id, "change")
    over_budget = refusal_for(spark_job.created_by)  # the job's owner pays for its runs
    if over_budget is not None:
        messages.error(request, over_budget)
        return redirect(spark_job)
    form = RunNowForm(spark_job, data=request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        if request.method != "POST" and (refusal := spark_job.run_now_refusal()) is not None:
            messages.error(request, RUN_NOW_REFUSALS[refusal])
            return redirect(spark_job)
        context = {
            "spark_job": spark_job,
            "form": form,
            "now": timezone.now(),
            "next_run": spark_job.schedule.next_slot(),
        }
        return render(request, "jobs/confirm_run.html", context)
    try:
        result = spark_job.run_now(requested_by=request.user, parameters=form.parameters)
    except SparkJobNotFound as exc:
        raise Http404("The job was deleted meanwhile.") from exc
    if result.outcome == RunNow.STARTED and result.run is not None:
        started = format_html("Run of <strong>{}</strong> started ({}).", spark_job, result.run.jobflow_id)
        messages.success(request, started)
    elif result.error is not None:
        messages.error(request, str(describe_aws_failure(result.error, "The run could not be started")))
    else:
        messages.error(request, RUN_NOW_REFUSALS[result.outcome])
    return redirect(spark_job)


@login_required
@require_safe
def detail_zeppelin_job(request: HttpRequest, id: int) -> HttpResponse:
    spark_job = get_job_for(request, id, "view")
    provisioner = spark_job.provisioner
    documents: list[MarkdownResult] = []
    error = ""
    try:
        groups = provisioner.results(spark_job.identifier, spark_job.is_public)
    except AWSError as exc:
        error = str(describe_aws_failure(exc, "The results could not be read from S3"))
    else:
        documents = [
            read_markdown_result(provisioner, spark_job, key)
            for key in latest_markdown_keys(groups.get("data", []))
        ]
    context = {"spark_job": spark_job, "documents": documents, "error": error}
    return render(request, "jobs/zeppelin.html", context)


@dataclass
class MarkdownResult:
    """A Markdown file of a Zeppelin run: its name, and its text or why it could not be read."""

    name: str
    text: str = ""
    error: str = ""


def read_markdown_result(provisioner: SparkJobProvisioner, spark_job: SparkJob, key: str) -> MarkdownResult:
    """One result file's text; a failure is kept on that file so the others still show."""
    name = key.rsplit("/", 1)[-1]
    try:
        content = provisioner.read_result(key, spark_job.is_public)
    except AWSError as exc:
        return MarkdownResult(
            name, error=str(describe_aws_failure(exc, "This file could not be read from S3"))
        )
    return MarkdownResult(name, text=content.decode("utf-8", errors="replace"))


def latest_markdown_keys(keys: list[str]) -> list[str]:
    """The ``.md`` keys of the newest run folder (``<id>/data/<run>/…``; folder names sort by time)."""
    folders: dict[str, list[str]] = {}
    for key in keys:
        if not key.endswith(".md"):
            continue
        parts = key.split("/")
        folders.setdefault(parts[2] if len(parts) > 3 else "", []).append(key)
    if not folders:
        return []
    return sorted(folders[max(folders)])[:MAX_MARKDOWN_RESULTS]


@login_required
@require_safe
def check_identifier_available(request: HttpRequest) -> HttpResponse:
    """Whether a new job may take ``?identifier=X``, as plain text for the new-job form's script.

    * no or an empty ``identifier``: 400 ``identifier invalid``
    * a job already has it: 200 ``identifier unavailable``
    * otherwise: 200 ``identifier available``

    The pattern is not checked here; the form reports that on its own.
    """
    form = SparkJobAvailableForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("identifier invalid", content_type="text/plain; charset=utf-8")
    taken = SparkJob.objects.filter(identifier=form.cleaned_data["identifier"]).exists()
    answer = "identifier unavailable" if taken else "identifier available"
    return HttpResponse(answer, content_type="text/plain; charset=utf-8")


def get_run_for(request: HttpRequest, spark_job_id: int, run_id: int) -> SparkJobRun:
    """The run ``run_id`` of the job, if the user may view the job (404 or 403 as :func:`get_job_for`).

    A run of another job is a 404, as a run that does not exist is.
    """
    spark_job = get_job_for(request, spark_job_id, "view")
    run = get_or_gone(request, spark_job.runs.select_related("requested_by"), pk=run_id)
    run.spark_job = spark_job  # the job as loaded, with its owner and release
    return run


@login_required
@require_safe
@cached_page("jobs")
@modified_date
def detail_spark_job_run(request: HttpRequest, id: int, run_id: int) -> HttpResponse:
    try:
        run = get_run_for(request, id, run_id)
    except PermissionDenied:
        live.not_found_for_polls(request)
        raise
    attempts = list(
        SparkJobRun.objects.filter(Q(pk=run.first_attempt_id) | Q(retry_of_id=run.first_attempt_id))
        .order_by("attempt")
        .only("pk", "attempt", "status", "spark_job_id")
    )
    context: dict[str, Any] = {
        "spark_job": run.spark_job,
        "run": run,
        "attempts": attempts if len(attempts) > 1 else [],
        "outputs": RunOutputs.of(run),
        "modified_date": run.modified_at,
    }
    etag = live.version(live.rows_version([run]), [(a.pk, a.status) for a in attempts])
    context.update(live.live_context(etag, run.is_active, LIVE_RUN_REGIONS))

    def step_state() -> dict[str, Any]:
        state, error = notebook_step_state(run)
        return {"step_state": state, "step_state_error": error}

    if live.is_poll(request):
        # EMR is asked for the step's state only when the regions are rendered again.
        return live.poll_response(request, "jobs/_run_live.html", context, more=step_state)
    # A HEAD asks for the headers only: no EMR call then.
    if request.method == "GET":
        context.update(step_state())
    return TemplateResponse(request, "jobs/run_detail.html", context)


def notebook_step_state(run: SparkJobRun) -> tuple[str, str]:
    """EMR's state of the run's notebook step ("" before the cluster exists), or why it is unknown."""
    if not run.jobflow_id:
        return "", ""
    try:
        return run.spark_job.provisioner.step_state(run.jobflow_id) or "", ""
    except AWSError as exc:
        return "", str(describe_aws_failure(exc, "EMR could not be asked for the step's state"))


#: The outputs every run leaves under its prefix: (file name, what the page calls it).
RUN_OUTPUTS = {
    "notebook.ipynb": "Executed notebook",
    "log.txt": "Log",
}
RENDERED_OUTPUT = "notebook.html"


@dataclass
class RunOutputs:
    """What the run page offers of a run's outputs: the rendered notebook and the downloads."""

    rendered_url: str
    #: (label, file name, download URL) of the executed notebook, the log and the files it wrote.
    downloads: list[tuple[str, str, str]]

    @classmethod
    def of(cls, run: SparkJobRun) -> RunOutputs | None:
        """The outputs of a run that has ended (a timed-out run's are partial); None before."""
        if run.is_active or not run.jobflow_id:
            return None
        kwargs = {"id": run.spark_job_id, "run_id": run.pk}
        downloads = [
            (label, name, reverse("jobs-run-file", kwargs={**kwargs, "name": name}))
            for name, label in RUN_OUTPUTS.items()
        ]
        downloads += [
            ("Written by the notebook", name, reverse("jobs-run-file", kwargs={**kwargs, "name": name}))
            for name in run.output_files
        ]
        return cls(reverse("jobs-run-rendered", kwargs=kwargs), downloads)


#: The rendered notebook is the notebook's own HTML, scripts included: it runs sandboxed, in an
#: origin of its own (no allow-same-origin), so it can reach neither the portal's cookies nor its pages.
RENDERED_CSP = {
    "sandbox": ["allow-scripts", "allow-popups"],
    "default-src": [NONE],
    # nbconvert's pages load require.js and MathJax from these CDNs, and style themselves inline.
    "script-src": [UNSAFE_INLINE, "https://cdnjs.cloudflare.com", "https://cdn.jsdelivr.net"],
    "style-src": [UNSAFE_INLINE, "https://cdnjs.cloudflare.com", "https://cdn.jsdelivr.net"],
    "img-src": ["data:"],
    "font-src": ["data:", "https://cdnjs.cloudflare.com", "https://cdn.jsdelivr.net"],
    "frame-ancestors": [SELF],
    "form-action": [NONE],
    "base-uri": [NONE],
}


@login_required
@require_GET
@xframe_options_sameorigin
@csp(RENDERED_CSP)  # type: ignore[arg-type]  # django-csp types its decorators for views without URL arguments
def rendered_spark_job_run(request: HttpRequest, id: int, run_id: int) -> HttpResponseBase:
    """The run's rendered notebook, for the run page's frame: sandboxed, never same-origin with the portal."""
    run = get_run_for(request, id, run_id)
    try:
        s3_object = run.spark_job.provisioner.get_output(
            run.results_bucket, run.output_prefix + RENDERED_OUTPUT
        )
    except OutputNotFound:
        return render(request, "jobs/run_output_missing.html", {"run": run}, status=404)
    except AWSError as exc:
        message = str(describe_aws_failure(exc, "The rendered notebook could not be fetched from S3"))
        return render(request, "jobs/run_output_missing.html", {"run": run, "error": message}, status=502)
    response = StreamingHttpResponse(stream_body(s3_object["Body"]), content_type="text/html; charset=utf-8")
    response["Content-Length"] = str(s3_object["ContentLength"])
    response["X-Content-Type-Options"] = "nosniff"
    return response


def signed_output_url(run: SparkJobRun, name: str) -> str:
    """A short-lived signed S3 link downloading the run's output ``name`` (signed locally: no S3 call)."""
    download_name = get_valid_filename(name.rsplit("/", 1)[-1]) or "output"
    return run.spark_job.provisioner.output_url(
        run.results_bucket, run.output_prefix + name, download_name=download_name
    )


@login_required
@require_GET
def spark_job_run_file(request: HttpRequest, id: int, run_id: int, name: str) -> HttpResponse:
    """A run output as a download: a short-lived signed S3 link, for users who may view the job only.

    Only the outputs the run page lists have a link: any other name is a 404.
    """
    run = get_run_for(request, id, run_id)
    if name not in RUN_OUTPUTS and name not in run.output_files:
        raise Http404("The run has no such output.")
    response = redirect(signed_output_url(run, name))
    response["Cache-Control"] = "private, no-store"  # the link is the user's, and expires
    return response
