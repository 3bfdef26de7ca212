"""The admin's system page: each part says what is wrong and what to do, and only operators see it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from django.contrib.auth.models import Permission
from django.utils import timezone

from atmo import provisioners
from atmo.monitoring import incidents, liveness
from atmo.monitoring.models import Sweep
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory

pytestmark = pytest.mark.django_db

URL = "/admin/monitoring/systemstatus/"


@pytest.fixture
def operator_client(client_for: Any, user: Any) -> Any:
    """Logged in as a superuser, who has every permission."""
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return client_for(user)


def section(body: str, kind: str) -> str:
    match = re.search(rf'<div class="module" id="system-{kind}">(.*?)</div>', body, re.S)
    assert match is not None, kind
    return match[1]


def page(client: Any) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return str(response.content.decode())


def test_a_stopped_scheduler_and_no_worker_are_errors_with_what_to_do(operator_client: Any) -> None:
    body = page(operator_client)
    scheduler = section(body, "scheduler")
    assert 'class="error"' in scheduler
    assert "No beat recorded" in scheduler
    assert "bin/run scheduler" in scheduler
    workers = section(body, "workers")
    assert "No worker answered a ping" in workers
    assert "bin/run worker" in workers


def test_a_beating_scheduler_is_ok(operator_client: Any) -> None:
    liveness.record_beat()
    scheduler = section(page(operator_client), "scheduler")
    assert 'class="success"' in scheduler
    assert "Beating: last beat" in scheduler


def test_sweeps_show_their_last_run_and_an_overdue_one_stands_out(operator_client: Any) -> None:
    Sweep.record("update_clusters", "atmo.clusters.tasks.update_clusters", "success", 1.25, 7)
    Sweep.objects.filter(name="update_clusters").update(
        last_succeeded_at=timezone.now() - timedelta(hours=2),
        last_finished_at=timezone.now() - timedelta(hours=2),
    )
    Sweep.record("expire_jobs", "atmo.jobs.tasks.expire_jobs", "failure", 0.5, None, "RuntimeError: boom")
    sweeps = section(page(operator_client), "sweeps")
    assert "Overdue: update_clusters." in sweeps
    assert "1.25 s" in sweeps
    assert "<strong>overdue since" in sweeps
    assert "RuntimeError: boom" in sweeps
    assert "never ran" in sweeps  # e.g. send_run_alert_mails
    assert "runbook: <em>Sweep overdue</em>" in sweeps


def test_recent_aws_errors_are_grouped_by_code_with_advice_on_throttling(operator_client: Any) -> None:
    emr = provisioners.client("emr")
    with Stubber(emr) as stubber:
        for _call in range(2):
            stubber.add_client_error(
                "list_clusters", service_error_code="ThrottlingException", http_status_code=400
            )
            with pytest.raises(ClientError):
                emr.list_clusters()
    aws = section(page(operator_client), "aws")
    assert "2 errors, 1 codes." in aws
    assert "<td>ThrottlingException</td><td>2</td>" in aws
    assert "AWS throttles ATMO" in aws


def test_runs_past_their_timeout_are_listed(operator_client: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user, identifier="nightly", job_timeout=1)
    SparkJobRunFactory(
        spark_job=job,
        jobflow_id="j-STUCK",
        status="RUNNING",
        scheduled_at=timezone.now() - timedelta(hours=3),
    )
    runs = section(page(operator_client), "runs")
    assert "1 still active after their job&#x27;s timeout." in runs
    assert "j-STUCK" in runs
    assert "nightly" in runs


def test_failed_mails_are_listed_with_the_error(operator_client: Any) -> None:
    incidents.remember(
        incidents.MAIL_FAILURES_KEY, template="jobs/emails/run_failed", error="SMTPException: down"
    )
    mails = section(page(operator_client), "mails")
    assert "1 recent failures" in mails
    assert "jobs/emails/run_failed" in mails
    assert "EMAIL_HOST" in mails


def test_the_queue_shows_what_waits(operator_client: Any) -> None:
    from atmo.tasks import cleanup_permissions

    cleanup_permissions.delay()
    queue = section(page(operator_client), "queue")
    assert "1 waiting" in queue
    assert "<td>celery</td><td>1</td>" in queue


def test_the_admin_index_links_to_the_page(operator_client: Any) -> None:
    assert URL in operator_client.get("/admin/").content.decode()


def test_staff_without_the_permission_may_not_see_it(client: Any, user: Any) -> None:
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get(URL).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_systemstatus"))
    assert client.get(URL).status_code == 200


def test_an_analyst_is_sent_to_log_in(client: Any, user: Any) -> None:
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
