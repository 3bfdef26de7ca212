from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.admin.sites import site
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.jobs.admin import SparkJobAdmin, disable, run_now
from atmo.jobs.models import SparkJob, SparkJobRun, SparkJobRunAlert
from tests.aws import AWSStubs
from tests.clusters.helpers import emr_cluster
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.helpers import committed, stub_run_job_flow
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db: Any) -> Any:
    return UserFactory(username="admin@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_request(admin_user: Any) -> Any:
    """A request the admin actions can add messages to."""
    request = RequestFactory().post("/admin/jobs/sparkjob/")
    request.user = admin_user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def messages_of(request: Any) -> list[str]:
    return [str(message) for message in get_messages(request)]


def model_admin() -> SparkJobAdmin:
    return SparkJobAdmin(SparkJob, site)


def test_the_changelist_loads_with_search_and_run_filters(
    client_for: Any, admin_user: Any, user: Any
) -> None:
    for number in range(3):
        job = SparkJobFactory(created_by=user, identifier=f"job-{number}")
        SparkJobRunFactory(spark_job=job, jobflow_id=f"j-{number}", status=Cluster.STATUS_TERMINATED)
        SparkJobRunFactory(spark_job=job, jobflow_id=f"j-{number}-again", status=Cluster.STATUS_TERMINATED)
    client = client_for(admin_user)
    changelist = reverse("admin:jobs_sparkjob_changelist")
    assert client.get(changelist).context["cl"].result_count == 3
    # Two matching runs of one job still list the job once.
    assert client.get(changelist, {"q": "TERMINATED"}).context["cl"].result_count == 3
    assert client.get(changelist, {"runs__status": "TERMINATED"}).context["cl"].result_count == 3
    assert client.get(changelist, {"q": "j-1-again"}).context["cl"].result_count == 1


def test_the_change_page_shows_the_runs_read_only(client_for: Any, admin_user: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    SparkJobRunFactory(spark_job=job, jobflow_id="j-SHOWN")
    response = client_for(admin_user).get(reverse("admin:jobs_sparkjob_change", args=[job.pk]))
    assert response.status_code == 200
    assert "j-SHOWN" in response.content.decode()
    inline = response.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission
    assert "status" in inline.readonly_fields


def test_jobs_are_not_added_in_the_admin(client_for: Any, admin_user: Any) -> None:
    assert client_for(admin_user).get(reverse("admin:jobs_sparkjob_add")).status_code == 403


def test_runs_and_alerts_have_their_own_pages(client_for: Any, admin_user: Any, user: Any) -> None:
    run = SparkJobRunFactory(
        spark_job=SparkJobFactory(created_by=user), status=Cluster.STATUS_TERMINATED_WITH_ERRORS
    )
    run.alert("STEP_FAILURE", "The notebook raised.")
    client = client_for(admin_user)
    assert (
        "The notebook raised."
        in client.get(reverse("admin:jobs_sparkjobrunalert_changelist")).content.decode()
    )
    assert client.get(reverse("admin:jobs_sparkjobrun_changelist")).context["cl"].result_count == 1
    change = client.get(reverse("admin:jobs_sparkjobrun_change", args=[run.pk]))
    assert change.status_code == 200
    assert not change.context["has_change_permission"]


def test_run_now_starts_each_job_and_reports_each(admin_request: Any, user: Any, aws: AWSStubs) -> None:
    idle = SparkJobFactory(created_by=user, identifier="idle")
    busy = SparkJobFactory(created_by=user, identifier="busy")
    SparkJobRunFactory(spark_job=busy, status=Cluster.STATUS_RUNNING)
    throttled = SparkJobFactory(created_by=user, identifier="throttled")
    # Jobs come in start-date order, then by id; all share one start date here.
    order = list(SparkJob.objects.filter(pk__in=[idle.pk, busy.pk, throttled.pk]))
    for job in order:
        if job == idle:
            stub_run_job_flow(aws, "j-IDLE")
        elif job == busy:  # asked first whether the run under way has ended meanwhile
            aws.emr.add_response(
                "describe_cluster", {"Cluster": emr_cluster("j-RUN", "RUNNING")}, {"ClusterId": "j-RUN"}
            )
        elif job == throttled:
            aws.add_spark_configuration()
            aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)

    run_now(model_admin(), admin_request, SparkJob.objects.filter(pk__in=[job.pk for job in order]))

    reported = messages_of(admin_request)
    assert "idle: run started (j-IDLE)." in reported
    assert "busy: not started, a run is under way." in reported
    assert (
        "throttled: the run could not be started: AWS is busy and asked us to slow down (Rate exceeded). "
        "Please try again in a minute."
    ) in reported
    assert idle.runs.get().jobflow_id == "j-IDLE"
    assert idle.runs.get().slot is None  # a manual run takes no slot of the schedule
    assert busy.runs.count() == 1
    assert not throttled.runs.exists()


def test_run_now_reports_a_refused_run(admin_request: Any, user: Any, aws: AWSStubs) -> None:
    job = SparkJobFactory(created_by=user)
    aws.add_spark_configuration()
    aws.emr.add_client_error("run_job_flow", "ValidationException", "Unknown release.", 400)
    run_now(model_admin(), admin_request, SparkJob.objects.all())
    assert messages_of(admin_request) == [
        "daily-report: The run could not be started: AWS refused (Unknown release). "
        "Please try again, and tell the ATMO team if it keeps failing."
    ]
    assert job.runs.get().status == Cluster.STATUS_TERMINATED_WITH_ERRORS


def test_run_now_through_the_changelist(client_for: Any, admin_user: Any, user: Any, aws: AWSStubs) -> None:
    job = SparkJobFactory(created_by=user)
    stub_run_job_flow(aws, "j-ADMIN")
    response = client_for(admin_user).post(
        reverse("admin:jobs_sparkjob_changelist"), {"action": "run_now", "_selected_action": [job.pk]}
    )
    assert response.status_code == 302
    assert job.runs.get().jobflow_id == "j-ADMIN"


def test_disable_unschedules_the_selected_jobs(admin_request: Any, user: Any) -> None:
    first = SparkJobFactory(created_by=user, identifier="first")
    second = SparkJobFactory(created_by=user, identifier="second")
    kept = SparkJobFactory(created_by=user, identifier="kept")
    with committed():
        disable(model_admin(), admin_request, SparkJob.objects.filter(pk__in=[first.pk, second.pk]))
    for job in (first, second):
        job.refresh_from_db()
        assert not job.is_enabled
        assert job.schedule.next_slot() is None
    assert kept.schedule.next_slot() is not None
    assert messages_of(admin_request) == ["2 job(s) disabled."]


def test_deleting_in_the_admin_cleans_up_like_the_site(
    client_for: Any, admin_user: Any, user: Any, aws: AWSStubs
) -> None:
    job = SparkJobFactory(created_by=user)
    SparkJobRunFactory(spark_job=job, jobflow_id="j-RUN", status=Cluster.STATUS_RUNNING)
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-RUN"]})
    aws.s3.add_response(
        "delete_object", {}, {"Bucket": settings.AWS_CONFIG["CODE_BUCKET"], "Key": job.notebook_s3_key}
    )
    with committed():
        response = client_for(admin_user).post(
            reverse("admin:jobs_sparkjob_changelist"),
            {"action": "delete_selected", "_selected_action": [job.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert not SparkJob.objects.exists()


def test_the_changelist_shows_the_interval_and_the_last_runs_status(
    client_for: Any, admin_user: Any, user: Any
) -> None:
    ran = SparkJobFactory(created_by=user, identifier="ran", interval_in_hours=SparkJob.INTERVAL_WEEKLY)
    SparkJobRunFactory(spark_job=ran, jobflow_id="j-OLD", status=Cluster.STATUS_TERMINATED_WITH_ERRORS)
    SparkJobRunFactory(spark_job=ran, jobflow_id="j-NEW", status=Cluster.STATUS_RUNNING)
    SparkJobFactory(created_by=user, identifier="never")
    client = client_for(admin_user)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("admin:jobs_sparkjob_changelist"))
    for number in range(5):
        SparkJobRunFactory(
            spark_job=SparkJobFactory(created_by=user, identifier=f"more-{number}"),
            status=Cluster.STATUS_TERMINATED,
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("admin:jobs_sparkjob_changelist"))
    assert len(many.captured_queries) == len(few.captured_queries)  # no query per row
    rows = {job.identifier: job for job in response.context["cl"].result_list}
    assert rows["ran"].latest_run_status == Cluster.STATUS_RUNNING
    assert rows["never"].latest_run_status is None
    page = response.content.decode()
    assert "Last run" in page and "never run" in page and "Weekly" in page
    # Sortable by that column (the 9th of list_display, after the action checkbox).
    column = response.context["cl"].list_display.index("latest_run_status")
    ordered = client.get(reverse("admin:jobs_sparkjob_changelist"), {"o": str(column)})
    statuses = [job.latest_run_status for job in ordered.context["cl"].result_list if job.latest_run_status]
    assert statuses == sorted(statuses) and len(statuses) == 6


def test_the_identifier_of_an_existing_job_is_read_only(client_for: Any, admin_user: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    response = client_for(admin_user).get(reverse("admin:jobs_sparkjob_change", args=[job.pk]))
    assert "identifier" not in response.context["adminform"].form.fields
    assert "identifier" in response.context["adminform"].readonly_fields
    assert "daily-report" in response.content.decode()


def test_the_run_pages_show_readiness_timeouts_and_audit_times(
    client_for: Any, admin_user: Any, user: Any
) -> None:
    now = timezone.now()
    run = SparkJobRunFactory(
        spark_job=SparkJobFactory(created_by=user), jobflow_id="j-SHOWN", ready_at=now, timed_out_at=now
    )
    client = client_for(admin_user)
    changelist = client.get(reverse("admin:jobs_sparkjobrun_changelist"))
    assert {"ready_at", "timed_out_at"} <= set(changelist.context["cl"].list_display)
    change = client.get(reverse("admin:jobs_sparkjobrun_change", args=[run.pk]))
    readonly = change.context["adminform"].readonly_fields
    assert {"created_at", "modified_at", "timeout_mail_sent_at"} <= set(readonly)
    assert "Created at" in change.content.decode()


def test_an_alerts_reason_is_read_only_and_its_mail_date_can_be_cleared(
    client_for: Any, admin_user: Any, user: Any
) -> None:
    run = SparkJobRunFactory(
        spark_job=SparkJobFactory(created_by=user), status=Cluster.STATUS_TERMINATED_WITH_ERRORS
    )
    alert = run.alert("STEP_FAILURE", "The notebook raised.")
    SparkJobRunAlert.objects.filter(pk=alert.pk).update(mail_sent_date=timezone.now())
    client = client_for(admin_user)
    assert (
        "created_at"
        in client.get(reverse("admin:jobs_sparkjobrunalert_changelist")).context["cl"].list_display
    )
    change_url = reverse("admin:jobs_sparkjobrunalert_change", args=[alert.pk])
    assert set(client.get(change_url).context["adminform"].form.fields) == {"mail_sent_date"}
    response = client.post(
        change_url,
        {"mail_sent_date_0": "", "mail_sent_date_1": "", "reason_message": "Tampered.", "reason_code": "X"},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.mail_sent_date is None
    assert (alert.reason_code, alert.reason_message) == ("STEP_FAILURE", "The notebook raised.")
    assert client.get(reverse("admin:jobs_sparkjobrunalert_add")).status_code == 403


def test_a_job_whose_run_is_starting_is_not_deleted_in_the_admin(
    admin_request: Any, user: Any, aws: AWSStubs
) -> None:
    job = SparkJobFactory(created_by=user)
    SparkJobRunFactory(spark_job=job, requested=True)
    model_admin().delete_model(admin_request, job)
    assert SparkJob.objects.filter(pk=job.pk).exists()
    assert messages_of(admin_request) == [
        "daily-report was not deleted: a run of the job is starting: its cluster is being requested "
        "from AWS. Please try again in a minute."
    ]


def test_a_job_whose_stale_run_emr_cannot_be_asked_about_is_not_deleted_in_the_admin(
    admin_request: Any, user: Any, aws: AWSStubs
) -> None:
    job = SparkJobFactory(created_by=user)
    stale = SparkJobRunFactory(spark_job=job, requested=True)
    SparkJobRun.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=1))
    aws.emr.add_client_error("list_clusters", "ThrottlingException", "Rate exceeded", 400)
    model_admin().delete_model(admin_request, job)
    assert SparkJob.objects.filter(pk=job.pk).exists()
    assert messages_of(admin_request) == [
        "daily-report was not deleted: the run that was being started could not be looked up at AWS: "
        "AWS is busy and asked us to slow down (Rate exceeded). Please try again in a minute."
    ]


def staff_with(*codenames: str) -> Any:
    """A staff member (no superuser) holding the model-level job permissions named."""
    staff = UserFactory(username="staff@example.com", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="jobs", codename__in=codenames)
    )
    return staff


def post_action(client: Any, action: str, job: SparkJob) -> Any:
    return client.post(
        reverse("admin:jobs_sparkjob_changelist"), {"action": action, "_selected_action": [job.pk]}
    )


def offered_actions(client: Any) -> set[str]:
    """The actions the job changelist offers the client's user (none: no action form at all)."""
    response = client.get(reverse("admin:jobs_sparkjob_changelist"))
    assert response.status_code == 200
    form = response.context["action_form"]
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def test_staff_who_may_only_view_jobs_can_neither_run_nor_disable_them(
    client_for: Any, user: Any, aws: AWSStubs
) -> None:
    job = SparkJobFactory(created_by=user)
    client = client_for(staff_with("view_sparkjob"))
    assert not offered_actions(client) & {"run_now", "disable"}
    for action in ("run_now", "disable"):
        post_action(client, action, job)  # the aws fixture fails the test on any AWS call
    job.refresh_from_db()
    assert job.is_enabled
    assert not job.runs.exists()


def test_staff_who_may_change_jobs_can_run_and_disable_them(
    client_for: Any, user: Any, aws: AWSStubs
) -> None:
    job = SparkJobFactory(created_by=user)
    client = client_for(staff_with("view_sparkjob", "change_sparkjob"))
    assert {"run_now", "disable"} <= offered_actions(client)
    stub_run_job_flow(aws, "j-STAFF")
    assert post_action(client, "run_now", job).status_code == 302
    assert job.runs.get().jobflow_id == "j-STAFF"
    with committed():
        post_action(client, "disable", job)
    job.refresh_from_db()
    assert not job.is_enabled


def test_run_now_leaves_a_disabled_job_alone_as_the_site_does(
    admin_request: Any, user: Any, aws: AWSStubs
) -> None:
    job = SparkJobFactory(created_by=user, is_enabled=False)
    run_now(model_admin(), admin_request, SparkJob.objects.all())  # the aws fixture fails on any call
    assert messages_of(admin_request) == ["daily-report: not started, the job is disabled."]
    assert not job.runs.exists()
