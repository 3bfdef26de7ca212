"""Batch steps the emulator really runs: ``steps/batch.sh`` with the notebook runner, against the local S3.

As EMR's script-runner does, the step's script is fetched from S3 on its own and
run with the step's Args; as the bootstrap action does, the runner is copied from
the published ``runner/`` folder. The notebook runs in a local Python kernel, with
PySpark in local mode. The step ends COMPLETED or FAILED with the script's exit
status; a step that ends otherwise (its cluster terminated) has its processes killed.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from moto.emr.models import Step

from atmo.cluster_code import BATCH_KEY, RUNNER_PREFIX
from localdev.aws.config import DUMMY_CREDENTIALS

logger = logging.getLogger("localdev.aws")

#: Spark's master for notebooks run locally: two threads of this machine.
LOCAL_SPARK_MASTER = "local[2]"
#: Seconds a stopped step's processes get to end before they are killed.
STOP_GRACE_SECONDS = 5


def is_batch_step(args: list[str]) -> bool:
    """Whether a step's Args run the batch step (``s3://<bucket>/steps/batch.sh …``)."""
    return bool(args) and args[0].startswith("s3://") and args[0].endswith(f"/{BATCH_KEY}")


@dataclass
class _Process:
    popen: subprocess.Popen[bytes] | None
    work_dir: Path
    log: IO[bytes] | None
    #: The exit status when the step could not even be started.
    failed_to_start: int | None = None


class BatchStepRunner:
    """Runs batch steps in subprocesses (see :class:`~localdev.aws.lifecycle.StepRunner`)."""

    def __init__(self, s3: Any, endpoint_url: str, region: str) -> None:
        self._s3 = s3
        self._env = {
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
            "ATMO_RUNNER_PYTHON": sys.executable,
            "ATMO_SPARK_MASTER": LOCAL_SPARK_MASTER,
        }
        # Never the developer's real AWS account, even with a profile set.
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            self._env.pop(name, None)
        self._processes: dict[str, _Process] = {}
        self._lock = threading.Lock()

    def runs(self, step: Step) -> bool:
        return is_batch_step(list(step.args))

    def start(self, step: Step) -> None:
        """Fetch the script and the runner into a folder of the step's own, and start the script."""
        work_dir = Path(tempfile.mkdtemp(prefix=f"atmo-step-{step.id}-"))
        bucket, _, key = step.args[0].removeprefix("s3://").partition("/")
        try:
            script = work_dir / Path(key).name
            script.write_bytes(self._s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            runner_home = work_dir / "runner"
            self._fetch_folder(bucket, RUNNER_PREFIX, runner_home)
            log = (work_dir / "step.log").open("wb")
            popen = subprocess.Popen(
                ["bash", str(script), *step.args[1:]],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=work_dir,
                env={**self._env, "ATMO_RUNNER_HOME": str(runner_home)},
                start_new_session=True,  # its own process group: stop() ends the kernel and Spark too
            )
        except Exception:
            logger.exception("%s: the batch step could not be started", step.id)
            process = _Process(None, work_dir, None, failed_to_start=1)
        else:
            logger.info("%s: batch step started (pid %s)", step.id, popen.pid, extra={"step_id": step.id})
            process = _Process(popen, work_dir, log)
        with self._lock:
            self._processes[step.id] = process

    def _fetch_folder(self, bucket: str, prefix: str, target: Path) -> None:
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                path = target / item["Key"].removeprefix(prefix)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(self._s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())

    def exit_status(self, step: Step) -> int | None:
        """The script's exit status once it has ended; None while it runs (or before it starts)."""
        with self._lock:
            process = self._processes.get(step.id)
        if process is None:
            return None
        if process.popen is None:
            return process.failed_to_start
        status = process.popen.poll()
        if status is not None:
            logger.info("%s: batch step exited with status %s", step.id, status, extra={"step_id": step.id})
        return status

    def stop(self, step: Step) -> None:
        """Kill what is left of the step's processes and forget it."""
        self._stop(step.id)

    def stop_all(self) -> None:
        with self._lock:
            step_ids = list(self._processes)
        for step_id in step_ids:
            self._stop(step_id)

    def _stop(self, step_id: str) -> None:
        with self._lock:
            process = self._processes.pop(step_id, None)
        if process is None:
            return
        if process.popen is not None and process.popen.poll() is None:
            logger.info("%s: stopping the batch step", step_id, extra={"step_id": step_id})
            _end_group(process.popen)
        if process.log is not None:
            process.log.close()
        if process.popen is not None and process.popen.returncode:
            # The run's own log is in S3 (log.txt); this is the script's, for when it failed early.
            tail = (process.work_dir / "step.log").read_text(errors="replace").splitlines()[-20:]
            logger.info("%s: the batch step's last output:\n%s", step_id, "\n".join(tail))
        shutil.rmtree(process.work_dir, ignore_errors=True)


def _end_group(popen: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(popen.pid, sig)
        except ProcessLookupError:
            return
        try:
            popen.wait(timeout=STOP_GRACE_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue
