"""A real prefork worker: its pool processes' counts reach its metrics port and the web's ``/metrics``."""

from __future__ import annotations

import socket
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from atmo.celery import celery
from atmo.tasks import cleanup_permissions
from tests.monitoring.processes import celery_process, process_environment, shares_the_database

SUCCESSES = 'atmo_celery_tasks_total{outcome="success",task="atmo.tasks.cleanup_permissions"} 2.0'
EXPIRED = 'atmo_celery_tasks_total{outcome="expired",task="atmo.tasks.cleanup_permissions"} 1.0'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:  # noqa: S310
        return str(response.read().decode())


@shares_the_database
@pytest.mark.django_db(transaction=True)
def test_the_pool_processes_counts_add_up_on_the_worker_port_and_on_the_web_endpoint(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    environment = process_environment(
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path), ATMO_WORKER_METRICS_PORT=str(port)
    )
    args = ["worker", "--pool", "prefork", "--concurrency", "2", "--without-gossip", "--without-mingle"]
    with celery_process([*args, "-l", "warning", "-n", "metrics-test@%h"], environment) as worker:
        worker.wait_for(lambda: celery.control.ping(timeout=0.3), "the worker's first answer")
        for _run in range(2):
            cleanup_permissions.delay().get(timeout=30)
        # Too late by the time a worker sees it: dropped unrun, counted as expired.
        cleanup_permissions.apply_async(expires=timezone.now() - timedelta(seconds=1))
        worker.wait_for(lambda: EXPIRED in scrape(port), "the expired task counted")
        on_worker = scrape(port)
    assert SUCCESSES in on_worker
    assert 'atmo_celery_task_duration_seconds_count{task="atmo.tasks.cleanup_permissions"} 2.0' in on_worker

    # The web process of the same container reads the same files.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    on_web = client.get("/metrics").content.decode()
    assert SUCCESSES in on_web
    assert EXPIRED in on_web
