"""The processes of a chaos run: started, kept alive as a supervisor would, and broken on purpose."""

from __future__ import annotations

import asyncio
import email
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import boto3
import redis
from aiosmtpd.controller import Controller

from localdev.aws.config import DUMMY_CREDENTIALS
from localdev.faults import AnswerDroppingProxy, SlowProxy
from localdev.redis import EmbeddedRedis, free_port, wait_until_listening

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
#: Seconds a supervisor waits before starting a process that died again.
RESTART_DELAY = 1.0
#: How long each message to and from PostgreSQL is held back while the database is slow.
SLOW_DATABASE_DELAY = 0.05


@dataclass
class Process:
    """One process of the stack in a process group of its own, logging to ``<name>.<n>.log``."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_dir: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    died_at: float | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.{self.starts}.log"

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> None:
        self.starts += 1
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.died_at = None

    def kill(self) -> None:
        """SIGKILL the whole group, as when the machine under it goes away."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, sig: int) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
        self.died_at = time.monotonic()


class MailServer:
    """An SMTP server that accepts every mail after ``delay`` seconds and keeps its subject.

    A client that goes away during the delay (a killed worker) never gets the
    server's acceptance, and the mail is not kept.
    """

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.subjects: list[str] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        await asyncio.sleep(self.delay)
        self.subjects.append(str(email.message_from_bytes(envelope.content)["Subject"]))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


class Stack:
    """Redis, the AWS emulator, the fault proxies, the mail server, two workers and two schedulers."""

    def __init__(self, state: Path, hour_seconds: float, aws_speed: float, database_url: str) -> None:
        self.state = state
        self.hour_seconds = hour_seconds
        self.database_url = database_url
        self.redis = EmbeddedRedis(data_dir=state / "redis", persist=True)
        aws_port = free_port()
        self.aws = Process(
            "aws",
            [sys.executable, "-m", "localdev.aws", "--port", str(aws_port), "--speed", str(aws_speed)],
            self.base_env(),
            state,
        )
        self.aws_port = aws_port
        self.aws_proxy = AnswerDroppingProxy(aws_port)
        host_port = database_url.rsplit("@", 1)[1].split("/", 1)[0]
        self.database_proxy = SlowProxy(int(host_port.rsplit(":", 1)[1]) if ":" in host_port else 5432)
        self.mail = MailServer(delay=0.3)
        self.workers: list[Process] = []
        self.beats: list[Process] = []
        self.orphan_clusters = 0

    # --- Environment -----------------------------------------------------------

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DJANGO_", "ATMO_"))}
        env.update(
            PYTHONUNBUFFERED="1",
            ATMO_ENVIRONMENT="dev",
            DJANGO_DEBUG="false",
            DJANGO_SETTINGS_MODULE="localdev.chaos.settings",
            ATMO_CHAOS_HOUR_SECONDS=str(self.hour_seconds),
            ATMO_CHAOS_DIR=str(self.state),
            AWS_ACCESS_KEY_ID=DUMMY_CREDENTIALS["aws_access_key_id"],
            AWS_SECRET_ACCESS_KEY=DUMMY_CREDENTIALS["aws_secret_access_key"],
            AWS_DEFAULT_REGION="us-west-2",
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        return env

    def harness_env(self) -> dict[str, str]:
        """What the harness itself uses: the stores directly, without the fault proxies."""
        return {
            **self.base_env(),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.aws_port}",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.mail.port),
        }

    def app_env(self, role: str) -> dict[str, str]:
        """What the workers and schedulers use: the database and AWS through the fault proxies."""
        scheme, rest = self.database_url.split("://", 1)
        credentials, path = rest.rsplit("@", 1)[0], rest.rsplit("@", 1)[1].split("/", 1)[1]
        return {
            **self.harness_env(),
            "DATABASE_URL": f"{scheme}://{credentials}@127.0.0.1:{self.database_proxy.port}/{path}",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.aws_proxy.port}",
            "ATMO_CHAOS_ROLE": role,
        }

    # --- Life cycle --------------------------------------------------------------

    def start_services(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        self.redis.start()
        self.aws.start()
        wait_until_listening(self.aws_port, self.aws.popen, timeout=30)
        self.aws_proxy.start()
        self.database_proxy.start()
        self.mail.start()

    def start_app(self) -> None:
        celery = [sys.executable, "-m", "celery", "-A", "atmo.celery"]
        for n in (1, 2):
            worker = [*celery, "worker", "-n", f"chaos{n}@%h", "--concurrency", "1", "--loglevel", "info"]
            worker += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
            self.workers.append(Process(f"worker{n}", worker, self.app_env("worker"), self.state))
            beat = [
                *celery,
                "beat",
                "--scheduler",
                "atmo.beat.ReseedingRedBeatScheduler",
                "--loglevel",
                "info",
            ]
            self.beats.append(Process(f"beat{n}", beat, self.app_env("beat"), self.state))
        for process in [*self.workers, *self.beats]:
            process.start()

    def supervise(self) -> None:
        """Start again, after :data:`RESTART_DELAY`, each worker or scheduler that died."""
        now = time.monotonic()
        for process in [*self.workers, *self.beats]:
            if process.alive:
                continue
            if process.died_at is None:
                process.died_at = now
            elif now - process.died_at >= RESTART_DELAY:
                process.start()

    def stop(self) -> None:
        for process in [*self.workers, *self.beats, self.aws]:
            process.stop()
        self.mail.stop()
        self.aws_proxy.stop()
        self.database_proxy.stop()
        self.redis.stop()

    # --- Faults ------------------------------------------------------------------

    def arm_kill(self, point: str) -> Path:
        """The next worker to reach ``point`` kills itself (see :mod:`localdev.chaos.patches`)."""
        armed = self.state / f"kill-{point}"
        armed.touch()
        return armed

    def kill_lock_holder(self) -> bool:
        """Kill the scheduler that holds redbeat's lock (the one that took it most recently)."""
        holders = [
            beat
            for beat in self.beats
            if beat.alive
            and ("Acquired lock" in (text := beat.log_path.read_text()) or "lock taken back" in text)
        ]
        if not holders:
            return False
        max(holders, key=lambda beat: beat.log_path.stat().st_mtime).kill()
        return True

    def restart_redis(self) -> None:
        self.redis.restart(crash=True)

    def flush_redis(self) -> None:
        """Empty Redis: broker messages, redbeat entries and lock, cache."""
        redis.Redis.from_url(self.redis.url).flushall()

    def restart_aws(self, tracked: set[str]) -> None:
        """Crash the emulator and start it again on the same port (it forgets every cluster)."""
        self.orphan_clusters += self.count_orphans(tracked)
        self.aws.kill()
        self.aws.start()
        wait_until_listening(self.aws_port, self.aws.popen, timeout=30)

    def lose_next_run_job_flow_answer(self) -> None:
        self.aws_proxy.drop_answers("RunJobFlow")

    def slow_database(self, slow: bool) -> None:
        self.database_proxy.delay = SLOW_DATABASE_DELAY if slow else 0.0

    def aws_client(self, service: str) -> Any:
        """A client of the emulator itself, not through the fault proxy."""
        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{self.aws_port}",
            region_name="us-west-2",
            **DUMMY_CREDENTIALS,
        )

    def count_orphans(self, tracked: set[str]) -> int:
        """Clusters the emulator started that no run knows."""
        summaries = (
            self.aws_client("emr").get_paginator("list_clusters").paginate().build_full_result()["Clusters"]
        )
        return sum(1 for summary in summaries if summary["Id"] not in tracked)
