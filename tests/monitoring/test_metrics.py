"""Each metric family moves after the action that should move it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from prometheus_client import REGISTRY

from atmo import provisioners
from atmo.clusters.tasks import update_clusters
from atmo.mail import send_templated_mail
from atmo.monitoring import incidents
from atmo.monitoring.models import Sweep
from atmo.tasks import cleanup_permissions
from tests.clusters.factories import ClusterFactory
from tests.monitoring.tasks import refuse, retry_once


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """How much a sample moved between its creation and :meth:`moved`."""

    def __init__(self, name: str, **labels: str) -> None:
        self.name, self.labels = name, labels
        self.before = sample(name, **labels)

    def moved(self) -> float:
        return sample(self.name, **self.labels) - self.before


@pytest.mark.django_db
def test_a_page_view_counts_a_request_by_view_and_status_with_its_latency(client_for: Any, user: Any) -> None:
    requests = Delta("atmo_http_requests_total", view="dashboard", method="GET", status="200")
    latency = Delta("atmo_http_request_duration_seconds_count", view="dashboard", method="GET")
    assert client_for(user).get("/").status_code == 200
    assert requests.moved() == 1
    assert latency.moved() == 1


def test_unrouted_and_unknown_paths_are_labelled_by_kind_not_by_path(client: Any) -> None:
    heartbeats = Delta("atmo_http_requests_total", view="lbheartbeat", method="GET", status="200")
    unknown = Delta("atmo_http_requests_total", view="unmatched", method="GET", status="404")
    client.get("/__lbheartbeat__")
    client.get("/no/such/page/12345")
    assert heartbeats.moved() == 1
    assert unknown.moved() == 1


@pytest.mark.django_db
def test_a_task_counts_its_outcome_and_duration(settings: Any) -> None:
    succeeded = Delta("atmo_celery_tasks_total", task="atmo.tasks.cleanup_permissions", outcome="success")
    timed = Delta("atmo_celery_task_duration_seconds_count", task="atmo.tasks.cleanup_permissions")
    cleanup_permissions.apply()
    assert succeeded.moved() == 1
    assert timed.moved() == 1


def test_failures_are_counted_apart_from_the_failures_a_task_declares_expected() -> None:
    failed = Delta("atmo_celery_tasks_total", task="tests.monitoring.refuse", outcome="failure")
    expected = Delta("atmo_celery_tasks_total", task="tests.monitoring.refuse", outcome="expected_failure")
    refuse.apply(args=["expected"])
    refuse.apply(args=["unexpected"])
    assert expected.moved() == 1
    assert failed.moved() == 1


def test_a_retry_is_counted_as_such() -> None:
    retried = Delta("atmo_celery_tasks_total", task="tests.monitoring.retry_once", outcome="retry")
    succeeded = Delta("atmo_celery_tasks_total", task="tests.monitoring.retry_once", outcome="success")
    retry_once.apply()
    assert retried.moved() == 1
    assert succeeded.moved() == 1


@pytest.mark.django_db
def test_a_sweep_records_its_run_duration_and_rows_changed(aws: Any) -> None:
    clusters = [ClusterFactory(), ClusterFactory()]
    aws.emr.add_response(
        "list_clusters",
        {
            "Clusters": [
                {
                    "Id": cluster.jobflow_id,
                    "Name": cluster.identifier,
                    "Status": {"State": "WAITING", "Timeline": {}},
                    "NormalizedInstanceHours": 1,
                }
                for cluster in clusters
            ]
        },
    )
    runs = Delta("atmo_sweep_duration_seconds_count", sweep="update_clusters", outcome="success")
    rows = Delta("atmo_sweep_rows_changed_total", sweep="update_clusters")

    update_clusters.apply()

    assert runs.moved() == 1
    assert rows.moved() == 2
    sweep = Sweep.objects.get(name="update_clusters")
    assert sweep.task == "atmo.clusters.tasks.update_clusters"
    assert sweep.last_outcome == "success"
    assert sweep.last_rows_changed == 2
    assert sweep.last_duration is not None and sweep.last_duration >= 0
    assert sweep.last_succeeded_at == sweep.last_finished_at


@pytest.mark.django_db
def test_a_failed_sweep_keeps_its_last_success_and_says_why(aws: Any) -> None:
    aws.emr.add_response("list_clusters", {"Clusters": []})
    ClusterFactory()
    update_clusters.apply()
    succeeded_at = Sweep.objects.get(name="update_clusters").last_succeeded_at
    # A refusal is not retried (only throttling and lost connections are): one answer.
    aws.emr.add_client_error("list_clusters", service_error_code="AccessDenied", http_status_code=403)
    ClusterFactory()

    update_clusters.apply()

    sweep = Sweep.objects.get(name="update_clusters")
    assert sweep.last_succeeded_at == succeeded_at
    assert sweep.last_finished_at > succeeded_at
    assert sweep.last_outcome == "failure"
    assert sweep.last_error.startswith("AWSError: ")


def stubbed_emr() -> tuple[Any, Stubber]:
    """The client ``atmo.provisioners.client`` makes, answered by a Stubber."""
    emr = provisioners.client("emr")
    return emr, Stubber(emr)


def test_an_aws_error_is_counted_by_operation_and_code_and_kept_for_the_system_page() -> None:
    emr, stubber = stubbed_emr()
    refused = Delta("atmo_aws_calls_total", service="emr", operation="ListClusters", outcome="error")
    by_code = Delta(
        "atmo_aws_errors_total", service="emr", operation="ListClusters", code="AccessDeniedException"
    )
    stubber.add_client_error(
        "list_clusters", service_error_code="AccessDeniedException", http_status_code=403
    )
    with stubber, pytest.raises(ClientError):
        emr.list_clusters()
    assert refused.moved() == 1
    assert by_code.moved() == 1
    [latest] = incidents.recent(incidents.AWS_ERRORS_KEY)
    assert latest["code"] == "AccessDeniedException"
    assert latest["operation"] == "ListClusters"


def test_throttling_is_its_own_series() -> None:
    emr, stubber = stubbed_emr()
    throttled = Delta("atmo_aws_calls_total", service="emr", operation="ListClusters", outcome="throttled")
    ok = Delta("atmo_aws_calls_total", service="emr", operation="ListClusters", outcome="ok")
    stubber.add_client_error("list_clusters", service_error_code="ThrottlingException", http_status_code=400)
    stubber.add_response("list_clusters", {"Clusters": []})
    with stubber:
        with pytest.raises(ClientError):
            emr.list_clusters()
        emr.list_clusters()
    assert throttled.moved() == 1
    assert ok.moved() == 1


class ThrottleOnce(BaseHTTPRequestHandler):
    """An EMR endpoint that throttles every other request and lists no cluster otherwise."""

    calls = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).calls += 1
        if type(self).calls % 2:
            status, body = 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        else:
            status, body = 200, {"Clusters": []}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def throttling_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ThrottleOnce)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    yield url
    server.shutdown()
    server.server_close()


@pytest.mark.usefixtures("throttling_endpoint")
def test_throttled_attempts_that_botocore_retried_are_counted_though_the_call_succeeded() -> None:
    attempts = Delta("atmo_aws_throttled_attempts_total", service="emr", operation="ListClusters")
    ok = Delta("atmo_aws_calls_total", service="emr", operation="ListClusters", outcome="ok")
    assert provisioners.client("emr").list_clusters()["Clusters"] == []
    assert attempts.moved() == 1
    assert ok.moved() == 1


def test_an_unreachable_aws_is_counted_with_the_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1: every attempt is refused at once.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    unreachable = Delta(
        "atmo_aws_calls_total", service="emr", operation="ListClusters", outcome="unreachable"
    )
    by_code = Delta(
        "atmo_aws_errors_total", service="emr", operation="ListClusters", code="EndpointConnectionError"
    )
    with pytest.raises(EndpointConnectionError):
        provisioners.client("emr").list_clusters()
    assert unreachable.moved() == 1
    assert by_code.moved() == 1


@pytest.mark.django_db
def test_mails_are_counted_sent_or_failed(settings: Any) -> None:
    cluster = ClusterFactory(expires_at=None)
    cluster.expires_at = cluster.created_at + timedelta(hours=1)
    sent = Delta("atmo_mails_sent_total", template="clusters/emails/expiring")
    failed = Delta("atmo_mails_failed_total", template="clusters/emails/expiring")
    send_templated_mail("clusters/emails/expiring", {"cluster": cluster}, to=["alice@example.com"])
    settings.EMAIL_BACKEND = "tests.jobs.helpers.BrokenEmailBackend"
    with pytest.raises(OSError):
        send_templated_mail("clusters/emails/expiring", {"cluster": cluster}, to=["alice@example.com"])
    assert sent.moved() == 1
    assert failed.moved() == 1
    [failure] = incidents.recent(incidents.MAIL_FAILURES_KEY)
    assert failure["template"] == "clusters/emails/expiring"
    assert "SMTPServerDisconnected" in failure["error"]
