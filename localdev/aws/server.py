"""`LocalAWS`: the moto server with ATMO's buckets, seed objects and the EMR lifecycle thread."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import boto3
from moto.emr.models import Step
from moto.server import ThreadedMotoServer

from localdev.aws.config import DUMMY_CREDENTIALS, Buckets, Timings, region_from_env
from localdev.aws.emr_patches import install_emr_patches, uninstall_emr_patches
from localdev.aws.job_steps import BatchStepRunner
from localdev.aws.lifecycle import EMRLifecycle
from localdev.aws.seed import allow_public_reads, create_buckets, seed_spark_emr_bucket

logger = logging.getLogger("localdev.aws")


def _ensure_port_free(host: str, port: int) -> None:
    """Fail fast: moto's server thread would die on a busy port and leave start() waiting for ever."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


class LocalAWS:
    """The local-AWS process: moto server, buckets, seed objects and the EMR lifecycle thread.

    Use as a context manager, or call start() and stop(). ``port=0`` picks a
    free port (see `endpoint_url`). The EMR patches are installed for as long
    as it runs.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4566,
        *,
        speed: float = 1.0,
        buckets: Buckets | None = None,
        region: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.buckets = buckets or Buckets.from_env()
        self.region = region or region_from_env()
        self.lifecycle = EMRLifecycle(Timings().scaled(speed), on_step_finished=self._log_step_end)
        # Ticks often enough that no phase is missed even at high speed.
        self.tick_interval = max(0.02, min(0.5, 0.5 * speed))
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._s3: Any = None

    @property
    def endpoint_url(self) -> str:
        """The URL to give boto3 as ``endpoint_url`` (``AWS_ENDPOINT_URL``)."""
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def client(self, service: str) -> Any:
        """A boto3 client for this emulator, with dummy credentials (never the user's real ones)."""
        return boto3.client(
            service, endpoint_url=self.endpoint_url, region_name=self.region, **DUMMY_CREDENTIALS
        )

    def start(self) -> None:
        """Serve, create and seed the buckets, and start moving EMR clusters along."""
        _ensure_port_free(self.host, self.port)
        install_emr_patches()
        self._server.start()
        self._s3 = self.client("s3")
        self.seed()
        self.lifecycle.step_runner = BatchStepRunner(self._s3, self.endpoint_url, self.region)
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.lifecycle.run,
            args=(self._stop, self.tick_interval),
            name="emr-lifecycle",
            daemon=True,
        )
        self._thread.start()

    def seed(self) -> None:
        """Create the buckets (kept if they exist) and put what the provisioners expect in them.

        Called by `start`; call it again after resetting moto (``POST /moto-api/reset``).
        """
        create_buckets(self._s3, self.buckets, self.region)
        seed_spark_emr_bucket(self._s3, self.buckets.spark_emr)
        allow_public_reads(self._s3, self.buckets.public_data)

    def stop(self) -> None:
        """Stop the lifecycle thread and the server, and take the EMR patches out."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if isinstance(self.lifecycle.step_runner, BatchStepRunner):
            self.lifecycle.step_runner.stop_all()
        self._server.stop()
        uninstall_emr_patches()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _log_step_end(self, step: Step, finished_at: datetime) -> None:
        logger.info("%s: %s %s", step.id, step.name, step.state, extra={"step_id": step.id})
