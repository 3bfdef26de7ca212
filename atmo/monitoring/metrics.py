"""The Prometheus metric families ATMO's processes count, and the exposition that gathers them.

Counters and histograms are kept by prometheus-client in each process. With
``PROMETHEUS_MULTIPROC_DIR`` set (``bin/run`` and ``make run`` set it), every
process (each gunicorn worker, each Celery pool child) writes its values to
memory-mapped files in that directory, and :func:`exposition` adds them up:
whichever process answers the scrape reports the whole container. Without it
(the test suite, a one-off shell) the values are this process's own.

What is a state rather than an event (clusters by state, queue length, the
last beat and sweep times) is read when scraped, by
:class:`atmo.monitoring.collectors.StateCollector`.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

#: Seconds: from a cached page (a few ms) to an EMR call that waits for its timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
#: Seconds: tasks and sweeps run from milliseconds to their hard time limit (600 s).
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600)

HTTP_REQUESTS = Counter(
    "atmo_http_requests",
    "HTTP requests answered, by view (URL name), method and status code.",
    ["view", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "atmo_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and method.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
CELERY_TASKS = Counter(
    "atmo_celery_tasks",
    "Celery tasks that ended, by task name and outcome (success, failure, expected_failure, "
    "retry, expired, revoked, ...).",
    ["task", "outcome"],
)
CELERY_TASK_DURATION = Histogram(
    "atmo_celery_task_duration_seconds",
    "Run time of Celery tasks, by task name.",
    ["task"],
    buckets=TASK_BUCKETS,
)
SWEEP_DURATION = Histogram(
    "atmo_sweep_duration_seconds",
    "Run time of the periodic sweeps (CELERY_BEAT_SCHEDULE entries), by sweep and outcome.",
    ["sweep", "outcome"],
    buckets=TASK_BUCKETS,
)
SWEEP_ROWS_CHANGED = Counter(
    "atmo_sweep_rows_changed",
    "Rows a sweep reported handling (the length of what its task returned), by sweep.",
    ["sweep"],
)
PAGE_CACHE_ANSWERS = Counter(
    "atmo_page_cache_answers",
    "Page views through the page cache (atmo.pagecache), by view and outcome: hit (answered from "
    "Redis), miss (rendered and kept) or fresh (a hard reload, rendered and kept).",
    ["view", "outcome"],
)
AWS_CALLS = Counter(
    "atmo_aws_calls",
    "AWS API calls once botocore's own retries are over, by service, operation and outcome "
    "(ok, error, throttled, unreachable).",
    ["service", "operation", "outcome"],
)
AWS_ERRORS = Counter(
    "atmo_aws_errors",
    "AWS API calls that failed, by service, operation and AWS error code.",
    ["service", "operation", "code"],
)
AWS_THROTTLED_ATTEMPTS = Counter(
    "atmo_aws_throttled_attempts",
    "Attempts AWS throttled, including those botocore retried before the call succeeded.",
    ["service", "operation"],
)
MAILS_SENT = Counter("atmo_mails_sent", "Mails handed to the mail server, by template.", ["template"])
MAILS_FAILED = Counter(
    "atmo_mails_failed", "Mails the mail server refused or could not take, by template.", ["template"]
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def event_collector() -> Collector:
    """The counters and histograms of every process of this container (or of this process alone)."""
    directory = multiprocess_dir()
    if directory is None:
        return REGISTRY
    # A throw-away registry: MultiProcessCollector registers itself on the one it is given.
    return MultiProcessCollector(CollectorRegistry(), path=directory)


def exposition(*collectors: Collector, accept: str = "") -> tuple[bytes, str]:
    """The text a scrape gets: the events of :func:`event_collector` plus ``collectors``.

    Returns the body and its content type (OpenMetrics when ``accept`` asks for it).
    """
    registry = CollectorRegistry()
    registry.register(event_collector())
    for collector in collectors:
        registry.register(collector)
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type
