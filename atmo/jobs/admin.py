"""Admin pages of Spark jobs, their runs and the alerts of failed runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from atmo.admin import CheckedGuardedModelAdmin, ModelAdmin
from atmo.jobs.exceptions import SparkJobNotFound
from atmo.jobs.models import Deletion, RunNow, RunNowResult, SparkJob, SparkJobRun, SparkJobRunAlert
from atmo.provisioners import TRY_AGAIN_SOON, describe_aws_failure
from atmo.tombstones import bury

RUN_FIELDS = [
    "jobflow_id",
    "status",
    "slot",
    "attempt",
    "scheduled_at",
    "started_at",
    "ready_at",
    "finished_at",
    "timed_out_at",
    "emr_release_version",
    "size",
]
#: When a row was made and last changed: shown, never edited.
AUDIT_FIELDS = ["created_at", "modified_at"]


#: What "Run now" says of a job for each outcome but a start, a refusal and AWS being unavailable.
NOT_STARTED = {
    RunNow.BUSY: "not started, a run is under way.",
    RunNow.DISABLED: "not started, the job is disabled.",
}


# Starting runs and disabling jobs change them: staff who may only view jobs
# do not get these actions (Django asks has_change_permission()).
@admin.action(description="Run the selected jobs now", permissions=["change"])
def run_now(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[SparkJob]) -> None:
    for spark_job in queryset.select_related("created_by", "emr_release"):
        try:
            result = spark_job.run_now()
        except SparkJobNotFound:
            result = None
        modeladmin.message_user(request, *run_now_message(spark_job.identifier, result))


def run_now_message(name: str, result: RunNowResult | None) -> tuple[str, int]:
    """What the admin says of one job's "Run now" (None: the job was deleted meanwhile), and how loud."""
    if result is None:
        return f"{name}: not started, the job was deleted meanwhile.", messages.INFO
    if result.outcome == RunNow.STARTED and result.run is not None:
        return f"{name}: run started ({result.run.jobflow_id}).", messages.SUCCESS
    if result.error is not None:
        failure = describe_aws_failure(result.error, f"{name}: the run could not be started")
        return str(failure), messages.ERROR
    if result.outcome == RunNow.REFUSED and result.run is not None:
        alert = result.run.alerts.first()
        return f"{name}: {alert.reason_message if alert else 'AWS gave no reason.'}", messages.ERROR
    return f"{name}: {NOT_STARTED[result.outcome]}", messages.WARNING


@admin.action(description="Disable the selected jobs (no more scheduled runs)", permissions=["change"])
def disable(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[SparkJob]) -> None:
    """Disable each job; saving one by one removes its schedule entry (a bulk update would not)."""
    count = 0
    for spark_job in queryset.filter(is_enabled=True):
        spark_job.is_enabled = False
        spark_job.save()
        count += 1
    modeladmin.message_user(request, f"{count} job(s) disabled.", messages.SUCCESS)


class SparkJobRunInline(admin.TabularInline):
    """The job's runs on its change page, newest first, read only."""

    model = SparkJobRun
    extra = 0
    can_delete = False
    show_change_link = True
    fields = tuple(RUN_FIELDS)
    readonly_fields = RUN_FIELDS
    ordering = ["-created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Never: runs are made by the scheduler and "Run now" only."""
        return False


@admin.register(SparkJob)
class SparkJobAdmin(CheckedGuardedModelAdmin):
    """Jobs with their runs; operators run, disable or delete them, and set object permissions.

    Deleting goes through :meth:`SparkJob.delete <atmo.jobs.models.SparkJob.delete>`,
    one job at a time, as on the site.
    """

    # Within 1280 px: the state and the next run up front; dates and release on the change page.
    list_display = [
        "identifier",
        "latest_run_status",
        "next_run",
        "is_enabled",
        "created_by",
        "interval_in_hours",
        "size",
    ]
    list_filter = [
        "size",
        "is_enabled",
        "emr_release",
        "start_date",
        "end_date",
        "interval_in_hours",
        "runs__scheduled_at",
        "runs__finished_at",
        "runs__status",
    ]
    search_fields = ["identifier", "description", "created_by__email", "runs__jobflow_id", "runs__status"]
    list_select_related = ["created_by", "emr_release"]
    raw_id_fields = ["created_by"]
    # The notebook key only changes with an upload (the site's edit form); the
    # owner's object permissions are granted at creation and would not follow.
    readonly_fields = [
        "created_by",
        "notebook_s3_key",
        "expired_date",
        "schedule_from",
        "next_run",
        "created_at",
        "modified_at",
    ]
    date_hierarchy = "start_date"
    inlines = [SparkJobRunInline]
    actions = [run_now, disable]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SparkJob]:
        """The jobs, each with its latest run's status (one subquery, not one query per row)."""
        return super().get_queryset(request).with_latest_slot().with_latest_run_summary()

    @admin.display(description="Last run", ordering="latest_run_status", empty_value="never run")
    def latest_run_status(self, obj: SparkJob) -> str | None:
        return getattr(obj, "latest_run_status", None) or None

    @admin.display(description="Next run", empty_value="not scheduled")
    def next_run(self, obj: SparkJob) -> datetime | None:
        return obj.schedule.next_slot() if obj.pk else None

    def get_readonly_fields(self, request: HttpRequest, obj: SparkJob | None = None) -> list[str]:
        """The identifier too on an existing job: its S3 paths and job flow names depend on it."""
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "identifier"] if obj is not None else fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Never: a job needs its notebook uploaded to S3, which only the site's form does."""
        return False

    def delete_model(self, request: HttpRequest, obj: SparkJob) -> None:
        """Delete as the site does: stop the cluster, remove notebook, schedule and permissions."""
        self._delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SparkJob]) -> None:
        # A bulk delete would skip stopping clusters and removing notebooks and
        # schedule entries.
        for spark_job in queryset:
            self._delete(request, spark_job)

    def _delete(self, request: HttpRequest, spark_job: SparkJob) -> None:
        job_id = spark_job.pk
        deletion = spark_job.delete_safely()
        if deletion.outcome == Deletion.DELETED:
            bury(spark_job, request.user, object_id=job_id)
            return
        what = f"{spark_job.identifier} was not deleted: {deletion.outcome.what_failed}"
        if deletion.error is None:
            self.message_user(request, f"{what}. {TRY_AGAIN_SOON}", messages.ERROR)
        else:
            self.message_user(request, str(describe_aws_failure(deletion.error, what)), messages.ERROR)


@admin.register(SparkJobRun)
class SparkJobRunAdmin(ModelAdmin):
    """Runs mirror what EMR reports, so they are read only.

    Deleting stays allowed: deleting a job in the admin deletes its runs too,
    and the admin asks for that permission first.
    """

    # The job flow id first: it links to the run's page.
    # Within 1280 px: slot, start and release are on the change page.
    list_display = [
        "spark_job",
        "status",
        "jobflow_id",
        "attempt",
        "scheduled_at",
        "ready_at",
        "finished_at",
        "timed_out_at",
    ]
    list_filter = ["status", "scheduled_at", "finished_at", "emr_release_version"]
    search_fields = ["jobflow_id", "spark_job__identifier", "status"]
    list_select_related = ["spark_job"]
    date_hierarchy = "scheduled_at"
    readonly_fields = ["spark_job", *RUN_FIELDS, "timeout_mail_sent_at", *AUDIT_FIELDS]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Never: runs are made by the scheduler and "Run now" only."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Never: a run mirrors EMR."""
        return False


@admin.register(SparkJobRunAlert)
class SparkJobRunAlertAdmin(ModelAdmin):
    """Why runs failed, as EMR said it, and when the owner was mailed.

    Only the mail date can change: clearing it sends the mail again on the next
    sweep (every minute).
    """

    list_display = ["run", "reason_code", "reason_message", "created_at", "mail_sent_date"]
    list_filter = ["reason_code", "mail_sent_date", "run__scheduled_at", "run__finished_at", "run__status"]
    search_fields = ["reason_code", "reason_message", "run__jobflow_id", "run__spark_job__identifier"]
    list_select_related = ["run"]
    date_hierarchy = "created_at"
    fields = ["run", "reason_code", "reason_message", "mail_sent_date", *AUDIT_FIELDS]
    readonly_fields = ["run", "reason_code", "reason_message", *AUDIT_FIELDS]

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Never: alerts come from failed runs only."""
        return False
