"""Load benchmark of ATMO's pages against a bare view served by the same gunicorn; exits 1 on a missed aim.

Run it with ``make bench`` (which installs wrk). Like ``make measure-api`` it uses a
throw-away database (``<name>_bench``) on the PostgreSQL server of ``DATABASE_URL``
and the Redis of ``REDIS_URL``, and serves with ``bin/run web`` (gunicorn, two sync
workers) in the **prod** environment, DEBUG off, with ``ATMO_BENCHMARK_BARE_VIEW=1``
so that ``/_bench/bare/`` exists: a view with the site's middleware, session and
user and nothing of its own.

The data set, grown to each size in turn (``--sizes``, default 5, 200 and 2,000): one
analyst owns N clusters, N SSH keys and N Spark jobs with a run each, one of the jobs
(the one measured) with 20 runs; ``--others`` more users own as many each, so the
database holds more than the analyst's rows. Everything is written with
``bulk_create``, the owners' object permissions included.

Each page of :data:`PAGES` is loaded as a browser loads it again (answered from the
page cache, :mod:`atmo.pagecache`, while nothing changed) and once more as a hard
reload (``Cache-Control: no-cache``: rendered anew, what the first view after a
change costs; printed without an aim). Each page and the status poll (the htmx
fragment the dashboard polls when it has one, else a HEAD of the page) is loaded with wrk at
``--concurrency`` connections for ``--seconds``, ``--rounds`` times, each time right
after a burst of the bare view (interleaved: a busy machine slows both alike). The
latency histograms of a page's bursts are added up: p50 and p95 per page and size,
the ratio of its p95 to the bare view's p95 of the bursts next to it, and the growth
of that ratio from the smallest to the largest size (the ratio, not the raw time: the
bare view carries the machine's noise). Aims: :data:`PAGE_AIM`, :data:`POLL_AIM`,
:data:`GROWTH_AIM`; each miss is printed, and the exit status is 1.

Then the status sweeps' cost (see :mod:`localdev.sweep_counts`): SQL queries and AWS
calls by operation of ``update_clusters`` at 1,000 clusters and ``update_jobs_statuses``
at 500 runs, with nothing changed and with every row changed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import utils as test_utils
from django.utils import timezone

# bin/ is on sys.path (this script's folder): the other measurements' helpers are shared.
# Importing them also sets Django up, with the test settings.
from measure_api import session_cookie, web_server
from measure_monitoring import HTTPS, free_port, get, prod_environment

from localdev.aws import Buckets, LocalAWS  # noqa: E402

#: A page's p95 may be at most this many times the bare view's, at every size.
PAGE_AIM = 2.5
#: The status poll's p95 may be at most this many times the bare view's.
POLL_AIM = 1.3
#: From the smallest to the largest size, a page's ratio to the bare view may grow this much.
GROWTH_AIM = 1.3
BARE_PATH = "/_bench/bare/"
#: The longest burst, for the slowest pages.
MAX_BURST_SECONDS = 15
#: Runs of the job whose page is measured.
MEASURED_JOB_RUNS = 20

#: wrk's script: the expected statuses are filled in per target; the report is one JSON line
#: with the latency at every half percentile (microseconds), which the bursts of a page add
#: up, each point weighing its burst's requests / 200 (wrk's Lua hands out no raw histogram).
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
expected = {%(expected)s}
unexpected = 0
function response(status, headers, body)
  if not expected[status] then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("unexpected") end
  local quantiles = {}
  for step = 1, 200 do
    quantiles[step] = string.format("%%d", latency:percentile(step / 2))
  end
  io.write(string.format('BENCH {"requests":%%d,"failures":%%d,"quantiles":[%%s]}\\n',
    summary.requests,
    bad + summary.errors.timeout + summary.errors.connect + summary.errors.read + summary.errors.write,
    table.concat(quantiles, ",")))
end
"""


@dataclass
class World:
    """The analyst, the objects whose pages are measured, and what every size adds."""

    owner: Any
    others: list[Any]
    release: Any
    cluster: Any = None
    job: Any = None
    size: int = 0
    serial: Counter[str] = field(default_factory=Counter)


# --- The data set ----------------------------------------------------------------------


def grant(owner: Any, rows: list[Any]) -> None:
    """The object permissions ``CreatedByModel.save()`` grants the owner, for rows bulk-created."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import UserObjectPermission

    if not rows:
        return
    model = type(rows[0])
    content_type = ContentType.objects.get_for_model(model)
    codenames = [f"{action}_{model._meta.model_name}" for action in model.OWNER_PERMISSIONS]
    permissions = Permission.objects.filter(content_type=content_type, codename__in=codenames)
    UserObjectPermission.objects.bulk_create(
        UserObjectPermission(
            user=owner, permission=permission, content_type=content_type, object_pk=str(row.pk)
        )
        for row in rows
        for permission in permissions
    )


def add_clusters(world: World, owner: Any, count: int) -> list[Any]:
    from atmo.clusters.models import Cluster
    from atmo.keys.models import SSHKey

    states = [*Cluster.ACTIVE_STATUS_LIST, *Cluster.FINAL_STATUS_LIST]
    now = timezone.now()
    key = SSHKey.objects.filter(created_by=owner).first()
    clusters = []
    for _ in range(count):
        number = world.serial[f"cluster-{owner.pk}"] = world.serial[f"cluster-{owner.pk}"] + 1
        state = states[number % len(states)]
        clusters.append(
            Cluster(
                identifier=f"bench-{owner.pk}-{number}",
                size=2,
                created_by=owner,
                emr_release=world.release,
                ssh_key=key,
                jobflow_id=f"j-B{owner.pk}X{number}",
                most_recent_status=state,
                master_address=f"ec2-{number}.compute.example.com"
                if state in Cluster.READY_STATUS_LIST
                else "",
                started_at=now - timedelta(hours=2),
                expires_at=now + timedelta(hours=6),
                created_at=now - timedelta(hours=2, minutes=number % 60),
            )
        )
    made = Cluster.objects.bulk_create(clusters)
    grant(owner, made)
    return made


def add_keys(world: World, owner: Any, count: int) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from atmo.keys.models import SSHKey
    from atmo.keys.utils import calculate_fingerprint

    keys = []
    for _ in range(count):
        number = world.serial[f"key-{owner.pk}"] = world.serial[f"key-{owner.pk}"] + 1
        line = (
            ed25519.Ed25519PrivateKey.generate()
            .public_key()
            .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
            .decode()
        )
        keys.append(
            SSHKey(
                title=f"laptop {number}",
                key=f"{line} bench@{number}",
                fingerprint=calculate_fingerprint(line),
                created_by=owner,
            )
        )
    grant(owner, SSHKey.objects.bulk_create(keys))


def add_jobs(world: World, owner: Any, count: int, runs_each: int = 1) -> list[Any]:
    from atmo.jobs.models import SparkJob, SparkJobRun

    now = timezone.now()
    jobs = []
    for _ in range(count):
        number = world.serial[f"job-{owner.pk}"] = world.serial[f"job-{owner.pk}"] + 1
        identifier = f"bench-{owner.pk}-{number}"
        jobs.append(
            SparkJob(
                identifier=identifier,
                description="A benchmark job.",
                notebook_s3_key=f"jobs/{identifier}/report.ipynb",
                size=2,
                job_timeout=2,
                start_date=now - timedelta(days=30, hours=number % 24),
                created_by=owner,
                emr_release=world.release,
            )
        )
    made = SparkJob.objects.bulk_create(jobs)
    grant(owner, made)
    runs = []
    for job in made:
        for number in range(runs_each):
            ended = now - timedelta(days=number + 1)
            failed = number % 5 == 4
            runs.append(
                SparkJobRun(
                    spark_job=job,
                    jobflow_id=f"j-R{job.pk}X{number}",
                    status=SparkJobRun.State.TERMINATED_WITH_ERRORS
                    if failed
                    else SparkJobRun.State.TERMINATED,
                    scheduled_at=ended - timedelta(hours=1),
                    started_at=ended - timedelta(minutes=55),
                    ready_at=ended - timedelta(minutes=45),
                    finished_at=ended,
                    slot=ended - timedelta(hours=1),
                    emr_release_version=world.release.version,
                    size=2,
                    created_at=ended - timedelta(hours=1),
                )
            )
    SparkJobRun.objects.bulk_create(runs)
    return made


def make_world(others: int) -> World:
    from django.contrib.auth import get_user_model

    from atmo.clusters.models import EMRRelease

    user_model = get_user_model()
    owner = user_model.objects.create(username="analyst", email="analyst@example.com")
    other_users = [
        user_model.objects.create(username=f"other-{number}", email=f"other-{number}@example.com")
        for number in range(others)
    ]
    release, _ = EMRRelease.objects.get_or_create(version="7.1.0")
    return World(owner, other_users, release)


def grow(world: World, size: int) -> None:
    """Bring every user to ``size`` clusters, keys and jobs."""
    added = size - world.size
    for user in [world.owner, *world.others]:
        if world.size == 0:
            add_keys(world, user, 1)  # the clusters' key
            add_keys(world, user, added - 1)
        else:
            add_keys(world, user, added)
        clusters = add_clusters(world, user, added)
        if user == world.owner and world.job is None:
            world.cluster = next(c for c in clusters if c.most_recent_status == "WAITING")
            world.job = add_jobs(world, user, 1, runs_each=MEASURED_JOB_RUNS)[0]
            add_jobs(world, user, added - 1)
        else:
            add_jobs(world, user, added)
    world.size = size
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would have after a while


#: The measured job's notebook: a few cells with outputs, as the job page previews it.
MEASURED_NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "cells": [
        {"cell_type": "markdown", "id": "title", "metadata": {}, "source": "# Daily usage\nCounts per day."},
        {
            "cell_type": "code",
            "id": "parameters",
            "metadata": {"tags": ["parameters"]},
            "execution_count": 1,
            "source": 'day = "2026-12-01"',
            "outputs": [],
        },
        {
            "cell_type": "code",
            "id": "count",
            "metadata": {},
            "execution_count": 2,
            "source": "rows = spark.range(1000).count()\nprint(rows)",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "1000\n"}],
        },
    ],
}


def store_measured_job_files(aws: LocalAWS, world: World) -> None:
    """The measured job's notebook and its runs' outputs and logs, in the emulator's buckets,
    so that its page previews a notebook and lists results as it would in use."""
    from atmo.jobs.provisioners import results_bucket, run_output_prefix

    s3 = aws.client("s3")
    job = world.job
    s3.put_object(
        Bucket=aws.buckets.code, Key=job.notebook_s3_key, Body=json.dumps(MEASURED_NOTEBOOK).encode()
    )
    for run in job.runs.all():
        prefix = run_output_prefix(job.identifier, run.pk)
        for name, body in (("report.ipynb", json.dumps(MEASURED_NOTEBOOK)), ("log.txt", "ran\n")):
            s3.put_object(Bucket=results_bucket(job.is_public), Key=f"{prefix}{name}", Body=body.encode())


# --- The targets -------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    #: The status the target must answer (the poll's 304 once nothing changed).
    expect: tuple[int, ...] = (200,)


def first_url(names: list[tuple[str, dict[str, Any], str]]) -> str | None:
    """The first of ``names`` (URL name, its arguments, the query string it is measured with) that exists."""
    from django.urls import NoReverseMatch, reverse

    for name, kwargs, query in names:
        try:
            return reverse(name, kwargs=kwargs) + query
        except NoReverseMatch:
            continue
    return None


#: The pages, each by the URL names that may serve it, with the query string of each (the
#: first name that exists is used). The jobs list is the jobs page sorted by next run and
#: filtered to a name, so that it is measured apart from the pages' defaults; where there
#: is no jobs page, it is the dashboard's jobs table with the same choices.
PAGES: list[tuple[str, Callable[[World], list[tuple[str, dict[str, Any], str]]]]] = [
    ("dashboard", lambda w: [("dashboard", {}, "")]),
    (
        "jobs list",
        lambda w: [
            ("jobs-list", {}, "?sort=next&q=bench"),
            ("dashboard", {}, "?jobs_sort=next&jobs_q=bench"),
        ],
    ),
    ("clusters list", lambda w: [("clusters-list", {}, "")]),
    ("job detail (20 runs)", lambda w: [("jobs-detail", {"id": w.job.pk}, "")]),
    ("cluster detail", lambda w: [("clusters-detail", {"id": w.cluster.pk}, "")]),
    ("SSH keys", lambda w: [("keys-list", {}, "")]),
]

#: How a page polls for changes. ``fragment``: an element of the page with ``hx-get`` and
#: an ``every`` trigger (htmx), fetched with ``HX-Request`` and the ETag of its last
#: answer; ``head``: a HEAD of the page itself (static/js/atmo.js, before htmx). The
#: first that the dashboard's HTML shows is measured.
POLL_PATTERN = re.compile(r"""<[^>]*\bhx-get="([^"]+)"[^>]*\bhx-trigger="[^"]*\bevery\b""", re.S)
POLL_PATTERN_REVERSED = re.compile(
    r"""<[^>]*\bhx-trigger="[^"]*\bevery\b[^"]*"[^>]*\bhx-get="([^"]+)\"""", re.S
)
#: What htmx sends for the poller (atmo/_poller.html): its id as target and trigger.
POLL_HEADERS = {"HX-Request": "true", "HX-Target": "live-poller", "HX-Trigger": "live-poller"}


def poll_target(base: str, page: str, session: dict[str, str]) -> Target:
    """The dashboard's status poll as the browser sends it once nothing changed."""
    import html
    import urllib.request

    request = urllib.request.Request(f"{base}{page}", headers={**HTTPS, **session})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        text = response.read().decode()
    match = POLL_PATTERN.search(text) or POLL_PATTERN_REVERSED.search(text)
    if match is None:
        return Target(
            "status poll (HEAD of the dashboard; Python threads, not wrk)",
            page,
            method="HEAD",
            headers=tuple(session.items()),
        )
    url = html.unescape(match.group(1))
    headers = {**session, **POLL_HEADERS}
    request = urllib.request.Request(f"{base}{url}", headers={**HTTPS, **headers})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        response.read()
        etag = response.headers.get("ETag")
    if etag:
        headers["If-None-Match"] = etag
    return Target(
        f"status poll (htmx {url}{', If-None-Match' if etag else ''})",
        url,
        headers=tuple(headers.items()),
        expect=(304,) if etag else (200,),
    )


#: Suffix of the rows measured with a hard reload's ``Cache-Control: no-cache``: each page
#: rendered anew, never answered from the page cache (atmo.pagecache); printed, no aim.
RENDERED = " (rendered)"
HARD_RELOAD = ("Cache-Control", "no-cache")


def page_targets(world: World, session: dict[str, str]) -> list[Target]:
    targets = []
    for name, names in PAGES:
        url = first_url(names(world))
        if url is None:
            print(f"   (no URL for {name}: skipped)")
            continue
        targets.append(Target(f"{name} {url}", url, headers=tuple(session.items())))
    rendered = [
        Target(
            f"{target.name}{RENDERED}", target.path, headers=(*target.headers, ("Cache-Control", "no-cache"))
        )
        for target in targets
    ]
    return targets + rendered


# --- wrk ----------------------------------------------------------------------------------


@dataclass
class Burst:
    histogram: Counter[int] = field(default_factory=Counter)  # microseconds: weight (requests)
    requests: int = 0
    failures: int = 0

    def add(self, other: Burst) -> None:
        self.histogram.update(other.histogram)
        self.requests += other.requests
        self.failures += other.failures

    def percentile(self, share: float) -> float:
        """Milliseconds below which ``share`` of the requests answered."""
        total = sum(self.histogram.values())
        if not total:
            return float("nan")
        seen = 0
        for micros, count in sorted(self.histogram.items()):
            seen += count
            if seen >= share * total:
                return micros / 1000
        return max(self.histogram) / 1000


def wrk(base: str, target: Target, seconds: float, concurrency: int, scratch: Path) -> Burst:
    """One burst of ``target``; an answer with another status than expected counts as a failure."""
    script = scratch / f"burst-{secrets.token_hex(4)}.lua"
    expected = ", ".join(f"[{status}] = true" for status in target.expect)
    method = f'wrk.method = "{target.method}"\n' if target.method != "GET" else ""
    script.write_text(method + WRK_SCRIPT % {"expected": expected})
    command = [
        "wrk",
        f"--threads={min(2, concurrency)}",
        f"--connections={concurrency}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=60s",
        f"--script={script}",
        "-H",
        "X-Forwarded-Proto: https",
        *(part for name, value in target.headers for part in ("-H", f"{name}: {value}")),
        f"{base}{target.path}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    script.unlink()
    if done.returncode:
        sys.exit(f"bench: wrk failed on {target.path}:\n{done.stdout}{done.stderr}")
    output = done.stdout
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        sys.exit(f"bench: wrk printed no figures for {target.path}:\n{output}")
    figures = json.loads(line.removeprefix("BENCH "))
    burst = Burst(Counter(), figures["requests"], figures["failures"])
    for micros in figures["quantiles"]:
        burst.histogram[micros] += figures["requests"] / len(figures["quantiles"])
    return burst


def threaded_burst(base: str, target: Target, seconds: float, concurrency: int) -> Burst:
    """One burst with ``concurrency`` Python threads, for what wrk cannot send: a HEAD.

    (wrk waits for the body a HEAD answer's Content-Length announces, and fails every
    request.) One request at a time per thread, each on a new connection as gunicorn's
    sync workers close them; the bare bursts next to it are sent the same way.
    """
    import http.client
    import threading
    from urllib.parse import urlsplit

    address = urlsplit(base)
    headers = {**HTTPS, **dict(target.headers)}
    burst = Burst()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def load() -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                client = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
                client.request(target.method, target.path, headers=headers)
                response = client.getresponse()
                response.read()
                client.close()
                failed = response.status not in target.expect
            except OSError:
                failed = True
            micros = round((time.perf_counter() - started) * 1_000_000)
            with lock:
                burst.requests += 1
                burst.failures += failed
                if not failed:
                    burst.histogram[micros] += 1

    threads = [threading.Thread(target=load) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return burst


def unexpected_statuses(base: str, target: Target) -> str:
    """What one request of ``target`` answered, when not what the target expects ("" if it is)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310
        f"{base}{target.path}", headers={**HTTPS, **dict(target.headers)}, method=target.method
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return "" if status in target.expect else f"{target.path} answered {status}, not {target.expect}"


@dataclass
class Figures:
    page: Burst
    bare: Burst

    @property
    def ratio(self) -> float:
        return self.page.percentile(0.95) / self.bare.percentile(0.95)


def measure(
    base: str, targets: list[Target], bare: Target, args: argparse.Namespace, script: Path
) -> dict[str, Figures]:
    results = {}
    for target in targets:
        problem = unexpected_statuses(base, target)
        if problem:
            sys.exit(f"bench: {problem}")
        # Both gunicorn workers load every code path; the slowest answer sets the burst's length.
        slowest = max(get(f"{base}{target.path}", dict(target.headers))[1] for _warm_up in range(4)) / 1000
        # A burst counts only the answers that came within it: a slow page gets longer ones,
        # so that each has a few (the connections queue for the two workers).
        seconds = min(max(args.seconds, slowest * 2 * args.concurrency), MAX_BURST_SECONDS)
        figures = Figures(Burst(), Burst())
        for _round in range(args.rounds):
            if target.method == "GET":
                figures.bare.add(wrk(base, bare, args.seconds, args.concurrency, script))
                figures.page.add(wrk(base, target, seconds, args.concurrency, script))
            else:
                figures.bare.add(threaded_burst(base, bare, args.seconds, args.concurrency))
                figures.page.add(threaded_burst(base, target, seconds, args.concurrency))
        results[target.name] = figures
    return results


# --- Report ---------------------------------------------------------------------------------


def report(sizes: list[int], results: dict[int, dict[str, Figures]], poll_names: set[str]) -> list[str]:
    """Prints the table; returns the aims missed."""
    missed = []
    names = list(results[sizes[0]])
    header = f"{'page':<58}" + "".join(f"{f'N={size}':>30}" for size in sizes) + f"{'growth':>9}"
    print(header)
    print(f"{'':<58}" + "".join(f"{'p50 ms':>9}{'p95 ms':>9}{'x bare':>8}{'req':>4}" for _ in sizes))
    for name in names:
        aim = POLL_AIM if name in poll_names else PAGE_AIM
        if name.endswith(RENDERED):
            aim = float("inf")
        cells = []
        for size in sizes:
            figures = results[size].get(name)
            if figures is None:
                cells.append(f"{'-':>30}")
                continue
            page = figures.page
            if not page.histogram:
                cells.append(f"{'no answer within a burst':>30}")
                missed.append(f"{name} at N={size}: no answer within a burst")
                continue
            flag = "!" if figures.ratio > aim else " "
            cells.append(
                f"{page.percentile(0.5):>9.1f}{page.percentile(0.95):>9.1f}{figures.ratio:>7.2f}{flag}"
                f"{min(page.requests, 999):>4}"
            )
            if figures.ratio > aim:
                missed.append(f"{name} at N={size}: p95 {figures.ratio:.2f}x the bare view's (aim <= {aim}x)")
            if page.failures:
                missed.append(f"{name} at N={size}: {page.failures} requests failed or answered unexpectedly")
        growth = float("nan")
        ends = [results[sizes[0]].get(name), results[sizes[-1]].get(name)]
        if all(figures is not None and figures.page.histogram for figures in ends):
            growth = results[sizes[-1]][name].ratio / results[sizes[0]][name].ratio
            if growth > GROWTH_AIM and aim != float("inf"):
                missed.append(
                    f"{name}: grows {growth:.2f}x from N={sizes[0]} to N={sizes[-1]} (aim <= {GROWTH_AIM}x)"
                )
        print(
            f"{name[:57]:<58}"
            + "".join(cells)
            + f"{growth:>8.2f}{'!' if growth > GROWTH_AIM and aim != float('inf') else ' '}"
        )

    def bare_median(size: int, share: float) -> float:
        return statistics.median(figures.bare.percentile(share) for figures in results[size].values())

    bare_cells = "".join(
        f"{bare_median(size, 0.5):>9.1f}{bare_median(size, 0.95):>9.1f}{'1.00':>7} {'':>4}" for size in sizes
    )
    print(f"{'bare view ' + BARE_PATH + ' (median of its bursts)':<58}" + bare_cells)
    return missed


def sweep_figures() -> str:
    """The sweeps' counts (:mod:`localdev.sweep_counts`), taken before the pages' data set
    exists (its clusters are unknown to the mocked EMR); their rows are removed afterwards."""
    import contextlib
    import io

    from atmo.clusters.models import Cluster
    from atmo.jobs.models import SparkJob
    from localdev.sweep_counts import print_sweep_figures

    started = time.monotonic()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        print_sweep_figures()
    Cluster.objects.all().delete()
    SparkJob.objects.all().delete()
    print(f"Sweep figures taken in {time.monotonic() - started:.0f} s", flush=True)
    return printed.getvalue().rstrip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="5,200,2000", help="objects of each kind per user (default 5,200,2000)"
    )
    parser.add_argument("--others", type=int, default=4, help="other users owning as much (default 4)")
    parser.add_argument("--seconds", type=float, default=3, help="length of one wrk burst (default 3)")
    parser.add_argument("--rounds", type=int, default=2, help="bursts of each page, each after a bare one")
    parser.add_argument("--concurrency", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--no-sweeps", action="store_true", help="leave out the sweep figures")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    if shutil.which("wrk") is None:
        sys.exit("bench: no wrk on PATH; `make bench` installs it (apt-get install -y wrk)")
    started = time.monotonic()
    test_utils.setup_test_environment()
    # A database of its own: the test suite's (kept by --reuse-db) stays as it is.
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    test_settings["NAME"] = f"{settings.DATABASES['default']['NAME']}_bench"
    databases = test_utils.setup_databases(verbosity=0, interactive=False)
    missed: list[str] = []
    try:
        if connection.vendor != "postgresql":
            sys.exit("bench: set DATABASE_URL to a PostgreSQL server (gunicorn needs a shared database)")
        environment = {**prod_environment(free_port()), "ATMO_BENCHMARK_BARE_VIEW": "1"}
        world = make_world(args.others)
        session = {"Cookie": session_cookie(world.owner, environment["DJANGO_SECRET_KEY"])}
        bare = Target(f"bare view {BARE_PATH}", BARE_PATH, headers=tuple(session.items()))
        print(
            f"Database: {connection.vendor}, Redis: {settings.REDIS_URL}, {os.cpu_count()} CPUs; "
            f"gunicorn (2 sync workers, prod settings, DEBUG off); wrk {args.concurrency} connections, "
            f"{args.rounds} bursts of {args.seconds:g} s per page and size, each after a burst of {BARE_PATH}"
        )
        print(
            f"Data: the analyst owns N clusters, N SSH keys and N jobs (1 run each, the measured job "
            f"{MEASURED_JOB_RUNS}); {args.others} other users own as much each"
        )
        sweeps = ""
        if not args.no_sweeps:
            sweeps = sweep_figures()
        results: dict[int, dict[str, Figures]] = {}
        poll_names: set[str] = set()
        # The pages that list S3 (the job page's results) ask the local emulator, as in `make run`:
        # a refused endpoint would time botocore's retries instead of the page.
        with (
            LocalAWS("127.0.0.1", 0, buckets=Buckets()) as aws,
            tempfile.TemporaryDirectory(prefix="atmo-bench-") as scratch,
            web_server({**environment, "AWS_ENDPOINT_URL": aws.endpoint_url}) as base,
        ):
            script = Path(scratch)
            for size in sizes:
                grown = time.monotonic()
                grow(world, size)
                if size == sizes[0]:
                    store_measured_job_files(aws, world)
                took = time.monotonic() - grown
                print(f"\nN={size}: data set grown in {took:.1f} s; measuring", flush=True)
                targets = page_targets(world, session)
                poll = poll_target(base, targets[0].path, session)
                poll_names.add(poll.name)
                results[size] = measure(base, [*targets, poll], bare, args, script)
        print(
            f"\nPages: p50/p95 in ms, p95 as a multiple of the bare view's (aims: pages <= {PAGE_AIM}x, "
            f"the poll <= {POLL_AIM}x;\ngrowth of that multiple from N={sizes[0]} to N={sizes[-1]} "
            f"<= {GROWTH_AIM}x); req: requests measured. Rows marked{RENDERED}: the same page with a hard\n"
            "reload's Cache-Control: no-cache, rendered anew instead of answered from the page cache\n"
            "(what the first view after a change costs); printed for information, no aim.\n"
        )
        missed = report(sizes, results, poll_names)
        if sweeps:
            print(f"\n{sweeps}")
    finally:
        test_utils.teardown_databases(databases, verbosity=0)
    print(f"\nTook {time.monotonic() - started:.0f} s.")
    if missed:
        print("\nMissed aims:")
        for line in missed:
            print(f"  - {line}")
        return 1
    print("\nEvery figure meets its aim.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
