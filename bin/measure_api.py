"""Prints what the API's job list costs against the dashboard page that lists the same jobs.

Run it with ``make measure-api``. Like ``make measure-monitoring`` it uses a
throw-away test database on the PostgreSQL server of ``DATABASE_URL`` and the
Redis of ``REDIS_URL``, and serves with ``bin/run web`` (gunicorn, two workers)
in the **prod** environment.

One user owns ``--jobs`` Spark jobs, each with a finished run. The script then
times ``--requests`` rounds of sequential GETs, each on a new connection, one
of each of these per round (interleaved, so that a busy machine slows all of
them alike):

* ``/api/v1/jobs/?page_size=N`` with the user's personal access token: every
  job in one answer, as the dashboard shows them;
* ``/api/v1/jobs/`` (the default page, 50 jobs);
* ``/`` (the dashboard) with the user's session;
* the bare baselines: ``/__lbheartbeat__`` (answered by a middleware: gunicorn
  and Django's handler, no view) and ``/404/`` with the session (a template
  view with no query of its own: session, user and the site's base template).

The API's rate limit (a live setting) stays on, raised out of reach for the
run, so each API request pays its Redis counter as in production.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test import utils as test_utils
from django.utils import timezone

# bin/ is on sys.path (this script's folder): the monitoring measurement's helpers are shared.
# Importing it also sets Django up, with the test settings.
from measure_monitoring import ROOT, free_port, get, percentiles, prod_environment, run, wait_until_healthy

RATE_LIMIT_KEY = "constance:atmo:API_RATE_LIMIT"  # the prod prefix (settings.CONSTANCE_REDIS_PREFIX)


def add_jobs(count: int) -> Any:
    """``count`` jobs of one new user, each with a finished run; returns the user."""
    from atmo.jobs.models import SparkJobRun
    from tests.clusters.factories import EMRReleaseFactory
    from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
    from tests.users.factories import UserFactory

    owner = UserFactory(username="measure-api@example.com", email="measure-api@example.com")
    release = EMRReleaseFactory()
    now = timezone.now()
    for number in range(count):
        # Not due for a day: nothing would start a run of it.
        job = SparkJobFactory(
            created_by=owner,
            emr_release=release,
            identifier=f"measure-{number}",
            start_date=now + timedelta(days=1),
        )
        SparkJobRunFactory(
            spark_job=job,
            jobflow_id=f"j-MEASURE-{number}",
            status=SparkJobRun.State.TERMINATED if number % 10 else SparkJobRun.State.TERMINATED_WITH_ERRORS,
            finished_at=now - timedelta(minutes=5),
        )
    return owner


def session_cookie(user: Any, secret_key: str) -> str:
    """A logged-in session of ``user`` as the prod server (signed with its key) reads it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    with override_settings(SECRET_KEY=secret_key):
        # The database half of the cached_db sessions: the server's cache misses, then reads it.
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "atmo.users.backends.AtmoOIDCAuthenticationBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        # As after an OIDC login: no re-check with the provider for an hour.
        session["oidc_id_token_expiration"] = time.time() + 3600
        session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


@contextmanager
def rate_limit_out_of_reach() -> Iterator[None]:
    """The prod server's live ``API_RATE_LIMIT`` set to a million for the run, then as it was."""
    from constance.codecs import dumps
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    before = redis.get(RATE_LIMIT_KEY)
    redis.set(RATE_LIMIT_KEY, dumps(1_000_000))
    try:
        yield
    finally:
        if before is None:
            redis.delete(RATE_LIMIT_KEY)
        else:
            redis.set(RATE_LIMIT_KEY, before)


@contextmanager
def web_server(environment: dict[str, str]) -> Iterator[str]:
    """``bin/run web`` in the prod environment, its static files collected as the image build does;
    yields the site's URL."""
    base = f"http://127.0.0.1:{environment['PORT']}"
    with (
        tempfile.TemporaryDirectory(prefix="atmo-measure-api-logs-") as logs_dir,
        tempfile.TemporaryDirectory(prefix="atmo-measure-api-static-") as static_root,
    ):
        logs = Path(logs_dir)
        environment = {**environment, "DJANGO_STATIC_ROOT": static_root}
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity=0"],
            cwd=ROOT,
            env={**environment, "ATMO_ENVIRONMENT": "build"},
            check=True,
        )
        with run("web", environment, logs):
            wait_until_healthy(f"{base}/__lbheartbeat__", logs)
            yield base


def measure(base: str, targets: dict[str, tuple[str, dict[str, str]]], rounds: int) -> None:
    timings: dict[str, list[float]] = {name: [] for name in targets}
    refused: dict[str, int] = dict.fromkeys(targets, 0)
    for _warm_up in range(10):  # both gunicorn workers load every code path once
        for path, headers in targets.values():
            get(f"{base}{path}", headers)
    for _round in range(rounds):
        for name, (path, headers) in targets.items():
            status, ms = get(f"{base}{path}", headers)
            timings[name].append(ms)
            refused[name] += status != 200
    for name, values in timings.items():
        failed = f"   (non-200: {refused[name]})" if refused[name] else ""
        print(f"   {name:<36} ms: {percentiles(values)}{failed}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    test_utils.setup_test_environment()
    # A database of its own: the test suite's (kept by --reuse-db) stays as it is.
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    test_settings["NAME"] = f"test_{settings.DATABASES['default']['NAME']}_measure_api"
    databases = test_utils.setup_databases(verbosity=0, interactive=False)
    try:
        from atmo.api.models import AccessToken

        environment = prod_environment(free_port())
        owner = add_jobs(args.jobs)
        _token, secret = AccessToken.issue(
            owner, name="measure", scope="read", expires_at=timezone.now() + timedelta(days=1)
        )
        bearer = {"Authorization": f"Bearer {secret}"}
        session = {"Cookie": session_cookie(owner, environment["DJANGO_SECRET_KEY"])}
        targets = {
            f"API /api/v1/jobs/?page_size={args.jobs}": (f"/api/v1/jobs/?page_size={args.jobs}", bearer),
            "API /api/v1/jobs/ (first 50)": ("/api/v1/jobs/", bearer),
            "page / (dashboard)": ("/", session),
            "bare /404/ (template view, session)": ("/404/", session),
            "bare /__lbheartbeat__ (middleware)": ("/__lbheartbeat__", {}),
        }
        print(f"Database: {connection.vendor}, Redis: {settings.REDIS_URL}, {os.cpu_count()} CPUs")
        print(
            f"{args.jobs} jobs of one user, each with a finished run; {args.requests} rounds of sequential "
            "GETs (one of each, new connection each), gunicorn (2 workers, prod settings)"
        )
        with rate_limit_out_of_reach(), web_server(environment) as base:
            measure(base, targets, args.requests)
    finally:
        test_utils.teardown_databases(databases, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
