"""The runner's tests run ``python -m atmo_runner`` in a subprocess, as the batch step does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

EMR_DIR = Path(__file__).resolve().parents[2] / "emr"


@pytest.fixture(scope="session", autouse=True)
def runner_kernel() -> None:
    """The runner's kernel, registered in this virtualenv as ``make install`` does."""
    subprocess.run(
        [sys.executable, "-m", "atmo_runner.kernel"], env=runner_env(), check=True, capture_output=True
    )


def runner_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(EMR_DIR), "ATMO_SPARK_MASTER": "local[1]", **extra}


@dataclass
class Run:
    """What a run of the runner left: its exit status, console output and output folder."""

    returncode: int
    stdout: str
    stderr: str
    output: Path

    @property
    def outcome(self) -> dict[str, Any]:
        return json.loads((self.output / "outcome.json").read_text())

    def text(self, name: str) -> str:
        return (self.output / name).read_text()


def run_runner(
    tmp_path: Path, notebook: bytes, *args: str, name: str = "report.ipynb", env: dict[str, str] | None = None
) -> Run:
    """Run the runner on ``notebook`` with outputs in ``tmp_path/out``."""
    source = tmp_path / name
    source.write_bytes(notebook)
    output = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "atmo_runner",
        "--notebook-uri",
        str(source),
        "--output-uri",
        str(output),
        "--job-identifier",
        "weekly-report",
        "--run-id",
        "42",
        *args,
    ]
    done = subprocess.run(command, env=env or runner_env(), capture_output=True, text=True, timeout=300)
    return Run(done.returncode, done.stdout, done.stderr, output)
