"""Execute a notebook with papermill and say how it went, in the shape of ``outcome.json``."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
import traceback as tb
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from .notebooks import CELL_METADATA_KEY

logger = logging.getLogger("atmo_runner")

#: The kernel the runner asks for: registered by the bootstrap action on a cluster and by
#: ``make install`` in the local virtualenv (``python -m atmo_runner.kernel``).
KERNEL_NAME = "atmo-pyspark"
#: How many traceback lines ``outcome.json`` keeps (the last ones, where the error is).
TRACEBACK_LINES = 40
#: Seconds the kernel may take to start before the run fails.
KERNEL_START_SECONDS = 120
SUCCEEDED, FAILED, TIMED_OUT = "succeeded", "failed", "timed_out"

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STARTUP_FILE = Path(__file__).with_name("spark_startup.py")


@dataclass
class Failure:
    """Where and why a run stopped: the cell (its place in the notebook as uploaded) and the error."""

    cell_index: int | None
    cell_source: str
    exception: str
    message: str
    traceback: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What ``outcome.json`` holds (see CONTRACT.md and docs/jobs.rst)."""

    status: str
    started_at: str
    finished_at: str
    duration_seconds: float
    parameters: dict[str, Any]
    failure: Failure | None = None
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def exit_status(self) -> int:
        """0 when the notebook succeeded; 1 when it failed; 124 (as ``timeout`` does) when it timed out."""
        return {SUCCEEDED: 0, FAILED: 1}.get(self.status, 124)


def _now() -> datetime:
    return datetime.now(UTC)


def clean_traceback(lines: list[str] | str) -> list[str]:
    """The last :data:`TRACEBACK_LINES` lines, without the terminal colour codes IPython adds."""
    text = "\n".join(lines) if isinstance(lines, list) else lines
    return _ANSI_ESCAPE.sub("", text).splitlines()[-TRACEBACK_LINES:]


def _cell_origin(cell: NotebookNode | None) -> tuple[int | None, str]:
    """A cell's place in the notebook as uploaded, and its source there (None for papermill's own cell)."""
    if cell is None:
        return None, ""
    stamp = cell.get("metadata", {}).get(CELL_METADATA_KEY) or {}
    return stamp.get("cell_index"), stamp.get("source", cell.get("source", ""))


@contextlib.contextmanager
def _kernel_environment(extra: dict[str, str]) -> Iterator[None]:
    """Environment variables the kernel inherits (it is started with a copy of ours)."""
    saved = {name: os.environ.get(name) for name in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute(
    notebook: NotebookNode,
    work_dir: Path,
    parameters: dict[str, Any],
    timeout_seconds: float,
    *,
    kernel_name: str = KERNEL_NAME,
    job_identifier: str = "",
) -> Outcome:
    """Run ``notebook`` with ``parameters`` injected into ``work_dir/notebook.ipynb``; say how it went.

    ``notebook`` carries each cell's place in the upload (see
    :func:`atmo_runner.notebooks.runnable_notebook`). Cells run in ``work_dir/files``
    (their working directory). The whole run may last ``timeout_seconds``: each
    cell gets what is left of it, and the cell still running then is interrupted,
    the outputs so far kept. Never raises for a notebook's own failure.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    files_dir = work_dir / "files"
    files_dir.mkdir(parents=True, exist_ok=True)
    input_path, output_path = work_dir / "input.ipynb", work_dir / "notebook.ipynb"
    nbformat.write(notebook, input_path)
    started = _now()
    deadline = time.monotonic() + timeout_seconds
    running: list[NotebookNode] = []

    def cell_timeout(cell: NotebookNode) -> float:
        # nbclient asks just before it runs each code cell: the last one asked is the one running.
        running[:] = [cell]
        return max(1.0, deadline - time.monotonic())

    status, failure = SUCCEEDED, None
    environment = {"PYTHONSTARTUP": str(_STARTUP_FILE), "ATMO_JOB_IDENTIFIER": job_identifier}
    try:
        with _kernel_environment(environment):
            papermill.execute_notebook(
                str(input_path),
                str(output_path),
                parameters=parameters,
                kernel_name=kernel_name,
                language="python",
                cwd=str(files_dir),
                log_output=True,
                progress_bar=False,
                start_timeout=KERNEL_START_SECONDS,
                timeout_func=cell_timeout,
            )
    except PapermillExecutionError as exc:
        cell_index, source = _failing_cell(output_path, exc.cell_index, exc.source)
        status = FAILED
        failure = Failure(cell_index, source, exc.ename, exc.evalue, clean_traceback(exc.traceback))
    except TimeoutError as exc:  # nbclient's CellTimeoutError: the job's time is up
        cell_index, source = _cell_origin(running[0] if running else None)
        status = TIMED_OUT
        message = (
            f"The notebook was still running after the job's timeout ({_duration(timeout_seconds)}); "
            "it was stopped there. The outputs so far are kept."
        )
        failure = Failure(cell_index, source, type(exc).__name__, message, clean_traceback(str(exc)))
    except Exception as exc:  # the kernel died, would not start, the notebook could not be read…
        cell_index, source = _cell_origin(running[0] if running else None)
        status = FAILED
        message = str(exc).strip() or type(exc).__name__
        failure = Failure(cell_index, source, type(exc).__name__, message, clean_traceback(tb.format_exc()))
    if not output_path.exists():  # nothing ran: the run's page still shows the notebook
        nbformat.write(notebook, output_path)
    finished = _now()
    if failure is not None:
        where = "" if failure.cell_index is None else f" in cell {failure.cell_index}"
        logger.error("run %s%s: %s: %s", status, where, failure.exception, failure.message)
    else:
        logger.info("run succeeded")
    return Outcome(
        status=status,
        started_at=started.isoformat(),
        finished_at=finished.isoformat(),
        duration_seconds=round((finished - started).total_seconds(), 3),
        parameters=parameters,
        failure=failure,
    )


def _failing_cell(output_path: Path, index: int, source: str) -> tuple[int | None, str]:
    """The cell with the error output, by its place in the upload.

    Papermill's own index counts the cells it adds (parameters, an error banner).
    """
    try:
        cells = nbformat.read(output_path, as_version=4).cells
    except (OSError, ValueError):
        return index, source
    for cell in cells:
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            return _cell_origin(cell)
    return index, source


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


def render_html(notebook_path: Path, html_path: Path) -> None:
    """The executed notebook as a standalone HTML page (nbconvert's lab template)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_filename(str(notebook_path))
    html_path.write_text(body, encoding="utf-8")
