"""The admin's *Monitoring › System status* page: is everything alive, and what to do if not."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import redis
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from kombu.exceptions import OperationalError

from atmo.admin import PageAdmin
from atmo.jobs.models import SparkJobRun, SparkJobRunAlert
from atmo.monitoring import incidents, liveness, system
from atmo.monitoring.models import SystemStatus
from atmo.provisioners import THROTTLING_CODES

#: How long the page waits for workers to answer its ping, in seconds.
PAGE_PING_TIMEOUT = 0.5
#: How far back the page looks for AWS errors, in seconds.
AWS_ERRORS_WINDOW = 24 * 60 * 60
#: Waiting messages above which the queue is shown as backing up.
QUEUE_BACKLOG_WARNING = 100
UNREACHABLE = (redis.RedisError, OperationalError, OSError)


@dataclass
class Section:
    """One part of the page: its state (``ok``, ``warning``, ``error``) and what to do next."""

    title: str
    state: str
    summary: str
    advice: str = ""
    runbook: str = ""
    data: Any = None
    rows: list[Any] = field(default_factory=list)


def scheduler_section() -> Section:
    title, runbook = "Scheduler", "Scheduler not beating"
    limit = liveness.scheduler_stale_after()
    try:
        beat = liveness.last_beat()
    except UNREACHABLE as exc:
        return Section(
            title,
            "error",
            f"Unknown: Redis cannot be read ({exc}).",
            "Bring Redis back first: the scheduler cannot run without it.",
            "Redis or the database down",
        )
    if beat is None:
        return Section(
            title,
            "error",
            "No beat recorded: the scheduler never started, or Redis lost its beat.",
            "Start (or restart) the scheduler: bin/run scheduler. It beats within seconds.",
            runbook,
        )
    age = beat.age()
    if age > limit:
        return Section(
            title,
            "error",
            f"Last beat {age:.0f} s ago on {beat.host} (pid {beat.pid}); stale after {limit:.0f} s.",
            "Check the scheduler's logs, then restart it: bin/run scheduler.",
            runbook,
            beat,
        )
    return Section(
        title, "ok", f"Beating: last beat {age:.1f} s ago on {beat.host} (pid {beat.pid}).", data=beat
    )


def workers_section() -> Section:
    from atmo.celery import celery

    title, runbook = "Workers", "No worker answers"
    try:
        with system.broker_connection() as connection:
            replies = celery.control.ping(timeout=PAGE_PING_TIMEOUT, connection=connection)
    except UNREACHABLE as exc:
        return Section(
            title,
            "error",
            f"Unknown: the broker cannot be reached ({exc}).",
            "Bring Redis back first: the workers take their tasks from it.",
            "Redis or the database down",
        )
    names = sorted(name for reply in replies or [] for name in reply)
    if not names:
        return Section(
            title,
            "error",
            f"No worker answered a ping within {PAGE_PING_TIMEOUT} s.",
            "Start workers (bin/run worker) or look at why they stopped (out of memory, "
            "a crash loop at start-up).",
            runbook,
        )
    return Section(title, "ok", f"{len(names)} answered a ping.", rows=names)


def queue_section() -> Section:
    title, runbook = "Queue", "Queue backing up"
    try:
        lengths = system.queue_lengths()
    except UNREACHABLE as exc:
        return Section(
            title,
            "error",
            f"Unknown: the broker cannot be reached ({exc}).",
            runbook="Redis or the database down",
        )
    waiting = sum(lengths["queues"].values())
    rows = sorted(lengths["queues"].items())
    summary = f"{waiting} waiting, {lengths['unacked']} taken by workers and not yet done."
    if waiting > QUEUE_BACKLOG_WARNING:
        return Section(
            title,
            "warning",
            summary,
            "More tasks arrive than the workers finish: add workers, "
            "or find the slow task in atmo_celery_task_duration_seconds.",
            runbook,
            rows=rows,
        )
    return Section(title, "ok", summary, rows=rows)


def sweeps_section() -> Section:
    title, runbook = "Sweeps", "Sweep overdue"
    statuses = liveness.sweep_statuses()
    overdue = [status.name for status in statuses if status.is_overdue]
    failing = [
        status.name for status in statuses if status.record and status.record.last_outcome == "failure"
    ]
    if overdue:
        return Section(
            title,
            "error",
            f"Overdue: {', '.join(overdue)}.",
            "Check the scheduler and workers above, then the sweep's last error below; run it "
            "by hand to see it fail (see the runbook).",
            runbook,
            rows=statuses,
        )
    if failing:
        return Section(
            title,
            "warning",
            f"Last run failed: {', '.join(failing)}.",
            "Read the error below and in Sentry; the next run may recover.",
            runbook,
            rows=statuses,
        )
    return Section(title, "ok", "Every sweep ran on time.", rows=statuses)


def aws_section() -> Section:
    title = "AWS errors (last 24 hours)"
    codes = incidents.aws_errors_by_code(since=time.time() - AWS_ERRORS_WINDOW)
    if not codes:
        return Section(title, "ok", "None.")
    throttled = any(code.code in THROTTLING_CODES for code in codes)
    advice = (
        "AWS throttles ATMO: see the runbook's 'AWS throttling' (limits, quotas)."
        if throttled
        else "Read the codes: AccessDenied means IAM roles, ValidationException a bad release "
        "or instance type; see the runbook's 'AWS errors'."
    )
    total = sum(code.count for code in codes)
    return Section(
        title,
        "warning",
        f"{total} errors, {len(codes)} codes.",
        advice,
        "AWS throttling" if throttled else "AWS errors",
        rows=codes,
    )


def runs_section() -> Section:
    title, runbook = "Runs past their timeout", "Runs past their timeout"
    runs = system.runs_past_timeout()
    if not runs:
        return Section(title, "ok", "None.")
    return Section(
        title,
        "warning",
        f"{len(runs)} still active after their job's timeout.",
        "The status sweep stops them (update_jobs_statuses): check it is on time, then whether "
        "EMR refused the stop (AWS errors above).",
        runbook,
        rows=runs,
    )


def mails_section() -> Section:
    title, runbook = "Mails", "Mails failing"
    failures = incidents.recent(incidents.MAIL_FAILURES_KEY, limit=20)
    pending = (
        SparkJobRunAlert.objects.filter(mail_sent_date__isnull=True).count()
        + SparkJobRun.objects.timeout_mail_pending().count()
    )
    summary = f"{len(failures)} recent failures; {pending} alert mails waiting to be sent."
    if failures:
        return Section(
            title,
            "warning",
            summary,
            "Failed mails are retried by the next sweep. Check the SMTP "
            "settings (EMAIL_HOST, EMAIL_PORT, credentials) and the server's logs.",
            runbook,
            rows=failures,
        )
    return Section(title, "ok", summary)


SECTIONS = (
    scheduler_section,
    workers_section,
    queue_section,
    sweeps_section,
    aws_section,
    runs_section,
    mails_section,
)


@admin.register(SystemStatus)
class SystemStatusAdmin(PageAdmin):
    """Its change list is the system page; there is nothing to add, change or delete."""

    def get_urls(self) -> list[URLPattern]:
        # Only the page itself: there is no row for the object views to show.
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.changelist_view)
        return [path("", view, name="{}_{}_changelist".format(*info))]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        sections = []
        for build in SECTIONS:
            kind = build.__name__.removesuffix("_section")
            try:
                section = build()
            except DatabaseError as exc:
                section = Section(
                    kind.capitalize(), "error", f"Unknown: the database cannot be read ({exc})."
                )
            sections.append((kind, section))
        context = {
            **self.admin_site.each_context(request),
            "title": "System status",
            "opts": self.model._meta,
            "sections": sections,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/monitoring/system_status.html", context)
