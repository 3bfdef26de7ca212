"""Real Celery workers and schedulers, started as subprocesses against the test Redis and database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

#: The processes share the test database only on a server: SQLite's test database lives in memory.
shares_the_database = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the worker and scheduler processes need the test database on PostgreSQL (set DATABASE_URL)",
)
CELERY = [sys.executable, "-m", "celery", "-A", "atmo.celery"]


def process_environment(**extra: str) -> dict[str, str]:
    """The test settings, this test run's Redis and its test database (not the development one)."""
    database = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="atmo.settings_test",
        REDIS_URL=settings.REDIS_URL,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    user, host, port = (
        database["USER"] or "postgres",
        database["HOST"] or "127.0.0.1",
        database["PORT"] or 5432,
    )
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    env["DATABASE_URL"] = f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"
    return env


class CeleryProcess:
    """A running ``celery -A atmo.celery ...``, its output in a temporary file."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by celery_process()
        self.process = subprocess.Popen(
            [*CELERY, *args], cwd=ROOT, env=env, stdout=self.output, stderr=subprocess.STDOUT
        )

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 60) -> None:
        """Poll ``condition`` until it holds; fail with the process's output if it exits or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"{what}: exited with {self.process.returncode}:\n{self.read_output()}")
            time.sleep(0.2)
        raise AssertionError(f"{what}: not within {timeout} s:\n{self.read_output()}")

    def read_output(self) -> str:
        self.output.seek(0)
        return self.output.read().decode(errors="replace")

    def kill(self) -> None:
        """Stop it as a crash would: SIGKILL, no goodbye to the broker."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


@contextmanager
def celery_process(args: list[str], env: dict[str, str]) -> Iterator[CeleryProcess]:
    """Start ``celery -A atmo.celery ARGS...``; killed (and reaped) when the block ends."""
    started = CeleryProcess(args, env)
    try:
        yield started
    finally:
        started.kill()
        started.output.close()


def worker_args(name: str) -> list[str]:
    return ["worker", "--pool", "solo", "--without-gossip", "--without-mingle", "-l", "warning", "-n", name]


def beat_args() -> list[str]:
    # Loops every second, so the tests need not wait for the five seconds of the settings.
    return ["beat", "-S", "redbeat.RedBeatScheduler", "--max-interval", "1", "-l", "warning"]
