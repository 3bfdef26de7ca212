"""``/metrics``: protected by a token, with every family, and the site's state read when scraped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError
from prometheus_client.parser import text_string_to_metric_families

from atmo.clusters.models import Cluster
from atmo.monitoring import liveness
from atmo.monitoring.models import Sweep
from atmo.tasks import cleanup_permissions
from tests.clusters.factories import ClusterFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory

TOKEN = "a-long-random-token"

FAMILIES = {
    "atmo_http_requests",
    "atmo_http_request_duration_seconds",
    "atmo_celery_tasks",
    "atmo_celery_task_duration_seconds",
    "atmo_celery_queue_length",
    "atmo_celery_unacked_messages",
    "atmo_sweep_duration_seconds",
    "atmo_sweep_rows_changed",
    "atmo_sweep_last_success_timestamp_seconds",
    "atmo_sweep_overdue",
    "atmo_scheduler_last_beat_timestamp_seconds",
    "atmo_page_cache_answers",
    "atmo_aws_calls",
    "atmo_aws_errors",
    "atmo_aws_throttled_attempts",
    "atmo_clusters",
    "atmo_job_runs",
    "atmo_job_runs_past_timeout",
    "atmo_mails_sent",
    "atmo_mails_failed",
    "atmo_monitoring_source_up",
}


def scrape(client: Any, **headers: str) -> dict[str, Any]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def value(families: dict[str, Any], family: str, **labels: str) -> float | None:
    for sample in families[family].samples:
        if sample.labels == labels and sample.name in (family, f"{family}_total"):
            return sample.value
    return None


def test_a_token_is_required_when_one_is_set(client: Any, settings: Any) -> None:
    settings.ATMO_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"authorization": f"Basic {TOKEN}"}).status_code == 401
    denied = client.get("/metrics")
    assert denied["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"atmo_" not in denied.content


@pytest.mark.django_db
def test_the_token_opens_the_metrics(client: Any, settings: Any) -> None:
    settings.ATMO_METRICS_TOKEN = TOKEN
    assert "atmo_clusters" in scrape(client, authorization=f"Bearer {TOKEN}")


def test_a_deployed_site_without_a_token_serves_no_metrics(client: Any, settings: Any) -> None:
    settings.IS_DEPLOYED = True
    settings.ATMO_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
def test_every_family_is_exposed(client: Any) -> None:
    assert set(scrape(client)) >= FAMILIES


@pytest.mark.django_db
def test_clusters_and_runs_are_counted_by_state(client: Any, user: Any) -> None:
    ClusterFactory.create_batch(2)
    ClusterFactory(most_recent_status=Cluster.STATUS_TERMINATED)
    job = SparkJobFactory(created_by=user)
    SparkJobRunFactory(spark_job=job, status="RUNNING")
    families = scrape(client)
    assert value(families, "atmo_clusters", state="WAITING") == 2
    assert value(families, "atmo_clusters", state="TERMINATED") == 1
    assert value(families, "atmo_job_runs", state="RUNNING") == 1
    assert value(families, "atmo_job_runs_past_timeout") == 0


@pytest.mark.django_db
def test_a_run_past_its_timeout_is_counted(client: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user, job_timeout=1)
    SparkJobRunFactory(spark_job=job, status="RUNNING", scheduled_at=timezone.now() - timedelta(hours=2))
    assert value(scrape(client), "atmo_job_runs_past_timeout") == 1


@pytest.mark.django_db
def test_a_task_waiting_for_a_worker_shows_in_the_queue_length(client: Any) -> None:
    before = value(scrape(client), "atmo_celery_queue_length", queue="celery")
    cleanup_permissions.delay()
    assert before == 0
    assert value(scrape(client), "atmo_celery_queue_length", queue="celery") == 1


@pytest.mark.django_db
def test_the_scheduler_beat_and_the_sweeps_last_success_are_timestamps(client: Any) -> None:
    families = scrape(client)
    assert families["atmo_scheduler_last_beat_timestamp_seconds"].samples == []
    liveness.record_beat()
    Sweep.record("update_clusters", "atmo.clusters.tasks.update_clusters", "success", 0.5, 3)
    families = scrape(client)
    beat = liveness.last_beat()
    assert beat is not None
    assert value(families, "atmo_scheduler_last_beat_timestamp_seconds") == pytest.approx(beat.at)
    recorded = Sweep.objects.get(name="update_clusters").last_succeeded_at
    assert value(
        families, "atmo_sweep_last_success_timestamp_seconds", sweep="update_clusters"
    ) == pytest.approx(recorded.timestamp())
    assert value(families, "atmo_sweep_overdue", sweep="update_clusters") == 0

    # Two syncs (five minutes apart in the test settings) and the time one may take pass.
    Sweep.objects.filter(name="update_clusters").update(
        last_succeeded_at=timezone.now() - timedelta(minutes=20)
    )
    assert value(scrape(client), "atmo_sweep_overdue", sweep="update_clusters") == 1


@pytest.mark.django_db
def test_an_unreadable_broker_drops_its_families_but_not_the_scrape(client: Any) -> None:
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch("atmo.monitoring.system.broker_connection", autospec=True, side_effect=refused):
        families = scrape(client)
    assert value(families, "atmo_monitoring_source_up", source="broker") == 0
    assert value(families, "atmo_monitoring_source_up", source="database") == 1
    assert "atmo_celery_queue_length" not in families
