"""``make chaos``: daily jobs over many simulated days, with faults, counted at the end.

Starts the stack of :mod:`localdev.chaos` (two schedulers, two workers,
PostgreSQL, Redis, the local AWS emulator, an SMTP server), creates a few daily
jobs (one that succeeds, one more, one whose notebook fails, one that hangs
until its timeout, one that reaches its end date), breaks something every
``--fault-every`` simulated days, then lets the last runs and mails settle and
prints one line of counts. Exits 1 when any count is not zero.

Not a test: it takes about ``days × 24 × hour-seconds`` seconds (24 minutes for
40 days at the default 1.5 s per hour) and keeps its logs under ``--state``.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import click
import nbformat
import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from localdev.chaos import counts  # noqa: E402
from localdev.chaos.patches import MAIL_LEASE_SECONDS  # noqa: E402
from localdev.chaos.stack import Stack  # noqa: E402

#: Every fault the harness knows; ``--faults`` picks some.
FAULTS = (
    "kill-worker-before-request",
    "kill-worker-after-request",
    "kill-worker-while-mailing",
    "kill-scheduler",
    "restart-redis",
    "restart-aws",
    "slow-database",
    "lose-run-job-flow-answer",
    "flush-redis",
)
#: Every fault, ``flush-redis`` included: the schedule is in PostgreSQL, Redis holds
#: only what can be lost (messages, which the dispatcher sends again, and the cache).
DEFAULT_FAULTS = FAULTS


@dataclass(frozen=True)
class JobSpec:
    """A daily job the harness creates: its notebook file, timeout (hours) and end (days after its start)."""

    identifier: str
    notebook: str
    timeout: int
    ends_after_days: float | None = None


JOBS = (
    JobSpec("daily-report", "report.ipynb", timeout=6),
    JobSpec("daily-counts", "counts.ipynb", timeout=6),
    JobSpec("daily-fails", "fail-report.ipynb", timeout=6),  # divides by zero
    JobSpec("daily-hangs", "hang-report.ipynb", timeout=2),  # never finishes
    JobSpec(
        "daily-ends", "report.ipynb", timeout=6, ends_after_days=0.5
    ),  # ends halfway (fraction of --days)
)


def log(message: str) -> None:
    click.echo(f"[{time.strftime('%H:%M:%S')}] {message}", err=True)


def recreate_database(url: str) -> None:
    """Drop and create the harness's own database."""
    server, name = url.rsplit("/", 1)
    connection = psycopg2.connect(f"{server}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def default_database_url() -> str:
    """``<DATABASE_URL>_chaos`` on the same server, or a local ``atmo_chaos``."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return f"{url.rsplit('/', 1)[0]}/{url.rsplit('/', 1)[1].split('?')[0]}_chaos"
    return "postgres://postgres@127.0.0.1:5432/atmo_chaos"


def upload_notebooks(stack: Stack) -> None:
    """Put the jobs' notebooks in the emulator's code bucket (again after it restarted)."""
    client = stack.aws_client("s3")
    # The emulator really runs them (with the notebook runner).
    sources = {"fail-report.ipynb": "1 / 0", "hang-report.ipynb": "import time\ntime.sleep(10**7)"}
    # The emulator listens a moment before it has created its buckets.
    deadline = time.monotonic() + 30
    while not any(bucket["Name"] == "atmo-code" for bucket in client.list_buckets()["Buckets"]):
        if time.monotonic() > deadline:
            raise click.ClickException("the emulator never created its buckets")
        time.sleep(0.2)
    for spec in JOBS:
        cell = nbformat.v4.new_code_cell(sources.get(spec.notebook, "print(run_date)"))
        body = nbformat.writes(nbformat.v4.new_notebook(cells=[cell])).encode()
        client.put_object(Bucket="atmo-code", Key=f"jobs/{spec.identifier}/{spec.notebook}", Body=body)


def create_jobs(day: timedelta, hour: timedelta, days: int) -> list[counts.Plan]:
    """The daily jobs, starting one after the other a few hours from now."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from atmo.clusters.models import EMRRelease
    from atmo.jobs.models import SparkJob

    owner = get_user_model().objects.create_user(username="chaos", email="chaos@example.com")
    release, _ = EMRRelease.objects.get_or_create(version="7.1.0")
    first = timezone.now() + 2 * hour
    plans = []
    for n, spec in enumerate(JOBS):
        start = first + 3 * n * hour
        end = start + spec.ends_after_days * days * day if spec.ends_after_days else None
        SparkJob.objects.create(
            created_by=owner,
            emr_release=release,
            identifier=spec.identifier,
            notebook_s3_key=f"jobs/{spec.identifier}/{spec.notebook}",
            size=1,
            interval_in_hours=SparkJob.INTERVAL_DAILY,
            job_timeout=spec.timeout,
            start_date=start,
            end_date=end,
        )
        plans.append(counts.Plan(spec.identifier, start, day, spec.timeout * hour, end))
    return plans


class Scenario:
    """Applies the faults one after the other and undoes the lasting ones."""

    def __init__(self, stack: Stack, faults: list[str], day: timedelta) -> None:
        self.stack = stack
        self.faults = faults
        self.day = day
        self.armed: list[tuple[Path, float]] = []
        self.undo: list[tuple[float, Callable[[], None]]] = []
        self.applied: list[str] = []

    def apply(self, fault: str) -> None:
        stack, now = self.stack, time.monotonic()
        if fault.startswith("kill-worker-"):
            self.armed.append(
                (stack.arm_kill(fault.removeprefix("kill-worker-")), now + self.day.total_seconds())
            )
        elif fault == "kill-scheduler":
            stack.kill_lock_holder()
        elif fault == "restart-redis":
            stack.restart_redis()
        elif fault == "flush-redis":
            stack.flush_redis()
        elif fault == "restart-aws":
            stack.restart_aws(counts.tracked_clusters())
            upload_notebooks(stack)
        elif fault == "slow-database":
            stack.slow_database(True)
            self.undo.append((now + self.day.total_seconds(), lambda: stack.slow_database(False)))
        elif fault == "lose-run-job-flow-answer":
            stack.lose_next_run_job_flow_answer()
        self.applied.append(fault)
        log(f"fault: {fault}")

    def tick(self) -> None:
        """Disarm kill points no worker reached within a day; end the slow database."""
        now = time.monotonic()
        for path, deadline in list(self.armed):
            if not path.exists():
                self.armed.remove((path, deadline))
            elif now > deadline:
                path.unlink(missing_ok=True)
                self.armed.remove((path, deadline))
                log(f"fault not reached: {path.name}")
        for deadline, undo in list(self.undo):
            if now > deadline:
                undo()
                self.undo.remove((deadline, undo))

    def finish(self) -> None:
        for path, _ in self.armed:
            path.unlink(missing_ok=True)
        for _, undo in self.undo:
            undo()


@click.command(help=__doc__)
@click.option("--days", default=40, show_default=True, help="Simulated days of daily runs.")
@click.option("--hour-seconds", default=1.5, show_default=True, help="Real seconds one simulated hour lasts.")
@click.option(
    "--aws-speed", default=0.1, show_default=True, help="The emulator's delay factor (see --speed)."
)
@click.option("--fault-every", default=1.25, show_default=True, help="Simulated days between two faults.")
@click.option(
    "--faults",
    default=",".join(DEFAULT_FAULTS),
    show_default=True,
    help=f"Comma-separated faults to inject, of: {', '.join(FAULTS)}.",
)
@click.option("--seed", default=13, show_default=True, help="Seed of the order of the faults.")
@click.option("--database-url", default=default_database_url, help="The harness's own PostgreSQL database.")
@click.option(
    "--state", default=ROOT / ".local" / "chaos", type=click.Path(path_type=Path), show_default=True
)
def main(
    days: int,
    hour_seconds: float,
    aws_speed: float,
    fault_every: float,
    faults: str,
    seed: int,
    database_url: str,
    state: Path,
) -> None:
    chosen = [fault.strip() for fault in faults.split(",") if fault.strip()]
    unknown = set(chosen) - set(FAULTS)
    if unknown:
        raise click.BadParameter(f"unknown faults: {', '.join(sorted(unknown))}", param_hint="--faults")
    shutil.rmtree(state, ignore_errors=True)
    hour = timedelta(seconds=hour_seconds)
    day = 24 * hour
    stack = Stack(state, hour_seconds, aws_speed, database_url)
    stack.start_services()
    try:
        result, line = run(stack, chosen, days, day, hour, fault_every, seed, database_url)
    finally:
        stack.stop()
    click.echo(line)
    sys.exit(1 if result.failed else 0)


def run(
    stack: Stack,
    faults: list[str],
    days: int,
    day: timedelta,
    hour: timedelta,
    fault_every: float,
    seed: int,
    database_url: str,
) -> tuple[counts.Counts, str]:
    """Set up, run the scenario, let it settle, count; returns the counts and their line."""
    recreate_database(database_url)
    os.environ.update(stack.harness_env())
    import django
    from django.core.management import call_command
    from django.utils import timezone

    django.setup()
    call_command("migrate", verbosity=0)
    upload_notebooks(stack)
    plans = create_jobs(day, hour, days)
    stack.start_app()
    log(f"{len(plans)} daily jobs, {days} days of {day.total_seconds():.0f} s, logs in {stack.state}")

    rng = random.Random(seed)  # noqa: S311 - the order of faults, not a secret
    order: list[str] = []
    started = time.monotonic()
    ends = started + days * day.total_seconds()
    next_fault = started + fault_every * day.total_seconds()
    scenario = Scenario(stack, faults, day)
    while time.monotonic() < ends:
        stack.supervise()
        scenario.tick()
        if faults and time.monotonic() >= next_fault:
            if not order:
                order = rng.sample(faults, len(faults))
            scenario.apply(order.pop())
            next_fault += fault_every * day.total_seconds()
        time.sleep(0.25)
    until = timezone.now()
    scenario.finish()
    log("faults over; letting the last runs and mails settle")
    # Long enough for a mail whose worker was killed to be sent again once its lease is over.
    settle = time.monotonic() + max(day.total_seconds() / 2, MAIL_LEASE_SECONDS) + 15
    while time.monotonic() < settle:
        stack.supervise()
        time.sleep(0.25)

    now = timezone.now()
    runs = counts.read_runs()
    result = counts.Counts(
        orphan_clusters=stack.orphan_clusters + stack.count_orphans(counts.tracked_clusters())
    )
    counts.count_runs(plans, runs, until, result)
    counts.count_overlaps(runs, now, result)
    counts.count_stuck(plans, runs, now, 4 * hour, result)
    counts.count_mails(counts.owed_mails(), stack.mail.subjects, result)
    line = result.line(
        days=days, faults=len(scenario.applied), runs=len(runs), mails=len(stack.mail.subjects)
    )
    # Kept for a closer look: the faults in order and the mails the server accepted.
    (stack.state / "faults.txt").write_text("\n".join(scenario.applied) + "\n")
    (stack.state / "mails.txt").write_text("\n".join(stack.mail.subjects) + "\n")
    return result, line


if __name__ == "__main__":
    main()
