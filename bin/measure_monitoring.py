"""Prints what the monitoring costs: the heartbeat's latency, and one metrics scrape at 1,000 clusters.

Run it with ``make measure-monitoring``. Like ``make measure`` it uses the test
settings (PostgreSQL when ``DATABASE_URL`` is set, Redis from ``REDIS_URL``, else
an embedded one) and a throw-away test database.

1. The heartbeat as a load balancer sees it: ``bin/run web`` (gunicorn, two
   workers) in the **prod** environment, with ``bin/run worker`` and
   ``bin/run scheduler`` running, so every check passes, the worker ping
   included. It times ``--requests`` sequential GETs of ``/__heartbeat__``, each
   on a new connection, against the same number of ``/__lbheartbeat__`` (no
   check at all), and then each check alone, in this process.
2. One scrape of ``/metrics`` from the same gunicorn (multiprocess mode, with
   the token) with 1,000 clusters (in every state) and 1,000 job runs (one in
   twenty running): the median time of ``--scrapes`` scrapes against as many
   ``/__lbheartbeat__``, the SQL queries and body size of one scrape (in this
   process), and the same at 10 clusters, to show the cost does not grow with
   the rows.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atmo.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import utils as test_utils  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from atmo.monitoring.collectors import StateCollector  # noqa: E402

HTTPS = {"X-Forwarded-Proto": "https"}
TOKEN = secrets.token_urlsafe(32)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    database = connection.settings_dict
    if database["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(
            "measure_monitoring: set DATABASE_URL to a PostgreSQL server (gunicorn needs a shared database)"
        )
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    return f"postgres://{database['USER'] or 'postgres'}{password}@{host}:{port}/{database['NAME']}"


def prod_environment(port: int) -> dict[str, str]:
    """What a deployed container gets (the local OIDC endpoints are never called here)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ATMO_", "SENTRY_"))}
    environment.update(
        ATMO_ENVIRONMENT="prod",
        DJANGO_SETTINGS_MODULE="atmo.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SITE_URL=f"https://127.0.0.1:{port}",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        PORT=str(port),
        WEB_CONCURRENCY="2",
        ATMO_METRICS_TOKEN=TOKEN,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **{
            f"OIDC_{name}": "http://127.0.0.1:9/unused"
            for name in (
                "OP_AUTHORIZATION_ENDPOINT",
                "OP_TOKEN_ENDPOINT",
                "OP_USER_ENDPOINT",
                "OP_JWKS_ENDPOINT",
            )
        },
        # No AWS here: a call (a sync of the clusters below) is refused at once, on this machine.
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_ACCESS_KEY_ID="measure",
        AWS_SECRET_ACCESS_KEY="measure",  # noqa: S106
        OIDC_RP_CLIENT_ID="measure",
        OIDC_RP_CLIENT_SECRET="measure",  # noqa: S106 - no provider is ever asked
    )
    return environment


@contextmanager
def run(verb: str, environment: dict[str, str], logs: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``bin/run VERB``, each in a metrics directory of its own, as in separate containers."""
    metrics_dir = tempfile.mkdtemp(prefix=f"atmo-measure-{verb}-")
    with open(logs / f"{verb}.log", "wb") as log:
        process = subprocess.Popen(
            [str(ROOT / "bin" / "run"), verb],
            env={**environment, "PROMETHEUS_MULTIPROC_DIR": metrics_dir},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, float]:
    """Status and milliseconds of one GET on a new connection."""
    request = urllib.request.Request(url, headers={**HTTPS, **(headers or {})})  # noqa: S310
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return status, 1000 * (time.perf_counter() - started)


def wait_until_healthy(url: str, logs: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if get(url)[0] == 200:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    sys.exit(f"measure_monitoring: {url} never passed; see the logs in {logs}")


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    median = statistics.median(ordered)
    return f"median {median:6.1f}  p95 {at(0.95):6.1f}  p99 {at(0.99):6.1f}  max {ordered[-1]:6.1f}"


@contextmanager
def production_stack() -> Iterator[str]:
    """``bin/run web``, ``worker`` and ``scheduler`` in the prod environment; yields the site's URL."""
    port = free_port()
    environment = prod_environment(port)
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="atmo-measure-logs-") as logs_dir, ExitStack() as stack:
        logs = Path(logs_dir)
        for verb in ("worker", "scheduler", "web"):
            stack.enter_context(run(verb, environment, logs))
        wait_until_healthy(f"{base}/__heartbeat__", logs)
        yield base


def timed(url: str, requests: int, headers: dict[str, str] | None = None) -> tuple[list[float], int]:
    """Milliseconds of ``requests`` sequential GETs of ``url``, and how many were not 200."""
    results = [get(url, headers) for _ in range(requests)]
    return [ms for _status, ms in results], sum(status != 200 for status, _ms in results)


def heartbeat_figures(base: str, requests: int) -> None:
    for _warm_up in range(10):  # each gunicorn worker checks the migrations once
        get(f"{base}/__heartbeat__")
    heartbeat, failed = timed(f"{base}/__heartbeat__", requests)
    bare, _failed = timed(f"{base}/__lbheartbeat__", requests)
    print(
        f"\n1. Heartbeat: {requests} sequential GETs each, new connection each, gunicorn (2 workers, "
        "prod settings), live worker and scheduler"
    )
    print(f"   /__heartbeat__    ms: {percentiles(heartbeat)}   (non-200: {failed})")
    print(f"   /__lbheartbeat__  ms: {percentiles(bare)}")
    print(f"   ratio of medians: {statistics.median(heartbeat) / statistics.median(bare):.1f}x")
    print("   each check alone, in this process (median ms of 50 calls):")
    for path in [*settings.DOCKERFLOW_CHECKS, *settings.ATMO_LIVENESS_CHECKS]:
        check = import_string(path)
        ms = median_ms(partial(check, app_configs=None), 50)
        print(f"     {check.__name__:<28} {ms:6.2f}")


def median_ms(action: Callable[[], Any], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(1000 * (time.perf_counter() - started))
    return statistics.median(timings)


def add_clusters_and_runs(count: int) -> None:
    from atmo.clusters.models import Cluster
    from atmo.jobs.models import SparkJobRun
    from tests.clusters.factories import EMRReleaseFactory, UserFactory
    from tests.jobs.helpers import make_job

    owner = UserFactory(username=f"measure-{count}@example.com")
    release = EMRReleaseFactory()
    states = [*Cluster.ACTIVE_STATUS_LIST, *Cluster.FINAL_STATUS_LIST]
    now = timezone.now()
    Cluster.objects.bulk_create(
        Cluster(
            identifier=f"measure-{number}",
            size=1,
            created_by=owner,
            emr_release=release,
            jobflow_id=f"j-M{count}-{number}",
            most_recent_status=states[number % len(states)],
            expires_at=now + timedelta(hours=8),
        )
        for number in range(count)
    )
    # Not due for a day: the scheduler has no run of it to start.
    job = make_job(
        owner, identifier=f"measure-{count}", emr_release=release, start_date=now + timedelta(days=1)
    )
    # A run history: one run in twenty still going, the rest finished.
    SparkJobRun.objects.bulk_create(
        SparkJobRun(
            spark_job=job,
            jobflow_id=f"j-R{count}-{number}",
            status=Cluster.STATUS_RUNNING if number % 20 == 0 else Cluster.STATUS_TERMINATED,
            scheduled_at=now - timedelta(minutes=30),
        )
        for number in range(count)
    )


def scrape_figures(base: str, scrapes: int) -> None:
    from atmo.clusters.models import Cluster

    token = {"Authorization": f"Bearer {TOKEN}"}
    from django.test import Client

    client = Client()
    print(
        f"\n2. One scrape of /metrics: gunicorn over HTTP (median of {scrapes}), SQL queries in this process"
    )
    print(
        f"   {'clusters':>8} {'runs':>6} {'queries':>8} {'bytes':>8} {'ms':>7} {'vs /__lbheartbeat__':>20}   "
        "the state sources read alone, in this process"
    )
    for total in (10, 1000):
        add_clusters_and_runs(total - Cluster.objects.count())
        get(f"{base}/metrics", token)  # each gunicorn worker's first scrape connects to the broker
        get(f"{base}/metrics", token)
        scrape, failed = timed(f"{base}/metrics", scrapes, token)
        bare, _failed = timed(f"{base}/__lbheartbeat__", scrapes)
        connection.queries_log.clear()  # when full, the capture below would look empty
        with test_utils.CaptureQueriesContext(connection) as captured:
            body = client.get("/metrics").content
        # Read now: the next request empties the log the capture reads from.
        queries = len(captured.captured_queries)
        sources = {
            name: median_ms(lambda read=read: list(read()), scrapes)
            for name, read in StateCollector().sources().items()
        }
        median, ratio = statistics.median(scrape), statistics.median(scrape) / statistics.median(bare)
        print(
            f"   {Cluster.objects.count():>8} {total:>6} {queries:>8} {len(body):>8} "
            f"{median:>7.1f} {ratio:>19.1f}x   "
            + ", ".join(f"{name} {ms:.1f} ms" for name, ms in sources.items())
            + (f"   (non-200: {failed})" if failed else "")
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    test_utils.setup_test_environment()
    # A database of its own: the test suite's (kept by --reuse-db) stays as it is.
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    test_settings["NAME"] = f"test_{settings.DATABASES['default']['NAME']}_measure_monitoring"
    databases = test_utils.setup_databases(verbosity=0, interactive=False)
    try:
        print(f"Database: {connection.vendor}, Redis: {settings.REDIS_URL}, {os.cpu_count()} CPUs")
        with production_stack() as base:
            heartbeat_figures(base, args.requests)
            scrape_figures(base, args.scrapes)
    finally:
        test_utils.teardown_databases(databases, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
