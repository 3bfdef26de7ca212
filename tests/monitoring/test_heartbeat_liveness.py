"""The heartbeat fails, naming the check and the age, when the scheduler, a worker or a sweep stops.

Each test starts the real part (``celery beat``, ``celery worker``) against the
test Redis and database, sees the heartbeat pass, stops the part, and sees it fail.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest

from atmo.celery import celery
from atmo.monitoring import liveness
from atmo.monitoring.models import Sweep
from tests.monitoring.conftest import message_of
from tests.monitoring.processes import (
    beat_args,
    celery_process,
    process_environment,
    shares_the_database,
    worker_args,
)

pytestmark = [pytest.mark.django_db(transaction=True), shares_the_database]


def test_heartbeat_fails_when_the_scheduler_stops(heartbeat: Any, settings: Any) -> None:
    settings.ATMO_SCHEDULER_STALE_SECONDS = 3
    with celery_process(beat_args(), process_environment()) as beat:
        beat.wait_for(lambda: liveness.last_beat() is not None, "the scheduler's first beat")
        _status, body = heartbeat()
        assert body["checks"]["check_scheduler_beating"] == "ok"
        beat.kill()
        time.sleep(3.5)
        status, body = heartbeat()
    assert status == 500
    assert body["status"] == "error"
    assert body["checks"]["check_scheduler_beating"] == "error"
    message = message_of(body, "check_scheduler_beating")
    age = re.search(r"scheduler: last beat (\d+) s ago", message)
    assert age is not None, message
    assert int(age[1]) >= 3
    assert "stale after 3 s" in message


def test_heartbeat_fails_when_no_worker_answers(heartbeat: Any) -> None:
    with celery_process(worker_args("heartbeat-test@%h"), process_environment()) as worker:
        worker.wait_for(lambda: celery.control.ping(timeout=0.3), "the worker's first answer")
        _status, body = heartbeat()
        assert body["checks"]["check_workers_answering"] == "ok"
        worker.kill()
        status, body = heartbeat()
    assert status == 500
    assert body["checks"]["check_workers_answering"] == "error"
    assert message_of(body, "check_workers_answering") == "workers: no worker answered a ping within 1 s"


def test_heartbeat_fails_when_a_sweep_is_overdue(heartbeat: Any, settings: Any) -> None:
    # The processes sync clusters every second; this process expects them to.
    environment = process_environment(ATMO_CLUSTER_SYNC_SECONDS="1")
    settings.CELERY_BEAT_SCHEDULE = {
        "update_clusters": {
            "task": "atmo.clusters.tasks.update_clusters",
            "schedule": timedelta(seconds=1),
            "options": {"soft_time_limit": 1},
        }
    }
    swept = Sweep.objects.filter(name="update_clusters", last_outcome="success")
    with (
        celery_process(beat_args(), environment) as beat,
        celery_process(worker_args("sweep-test@%h"), environment) as worker,
    ):
        worker.wait_for(swept.exists, "the first cluster sync")
        _status, body = heartbeat()
        assert body["checks"]["check_sweeps_on_time"] == "ok"
        worker.kill()
        # Two scheduled runs (1 s apart) and the run allowance (1 s) pass with no worker.
        time.sleep(3.5)
        status, body = heartbeat()
        assert beat.process.poll() is None
    assert status == 500
    assert body["checks"]["check_sweeps_on_time"] == "error"
    assert body["checks"]["check_scheduler_beating"] == "ok"
    message = message_of(body, "check_sweeps_on_time")
    age = re.search(
        r"sweeps overdue: update_clusters: last succeeded (\d+) s ago, overdue for \d+ s", message
    )
    assert age is not None, message
    assert int(age[1]) >= 3
