"""``python -m atmo_runner``: fetch a notebook, run it, and leave its outputs under ``--output-uri``.

Outputs (see docs/jobs.rst): ``notebook.ipynb`` (executed), ``notebook.html``,
``log.txt`` (the runner's, the kernel's and Spark's output) and ``outcome.json``;
files the notebook writes in its working directory go under ``files/``. Exits 0
when the notebook succeeded, 1 when it failed, 124 when it ran past its timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from . import storage
from .execute import FAILED, KERNEL_NAME, Failure, Outcome, clean_traceback, execute, render_html
from .notebooks import NotebookProblem, notebook_kind, runnable_notebook

logger = logging.getLogger("atmo_runner")

#: What the runner itself writes under the output URI; anything else there is the notebook's.
OUTPUT_NAMES = ("notebook.ipynb", "notebook.html", "log.txt", "outcome.json")
#: Exit status when the outputs could not be stored: the run's result is lost, the step must fail.
UPLOAD_FAILED = 3


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m atmo_runner", description=__doc__.splitlines()[0])
    parser.add_argument("--notebook-uri", required=True, help="s3://bucket/key or a local path")
    parser.add_argument("--output-uri", required=True, help="s3://bucket/prefix/ or a local folder")
    parser.add_argument("--parameters-json", default="{}", help="a JSON object of parameters to inject")
    parser.add_argument("--timeout-seconds", type=float, default=24 * 3600, help="for the whole run")
    parser.add_argument("--job-identifier", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--kernel", default=KERNEL_NAME, help="the Jupyter kernel to run the notebook with")
    parser.add_argument("--dry-run", action="store_true", help="print what would be done, do nothing")
    args = parser.parse_args(argv)
    try:
        extra = json.loads(args.parameters_json)
    except ValueError as exc:
        parser.error(f"--parameters-json is not JSON: {exc}")
    if not isinstance(extra, dict):
        parser.error("--parameters-json must be a JSON object")
    if args.timeout_seconds <= 0:
        parser.error("--timeout-seconds must be positive")
    if notebook_kind(args.notebook_uri) is None:
        parser.error("--notebook-uri must name a .ipynb (Jupyter) or .json (Zeppelin) file")
    args.parameters = notebook_parameters(args, extra)
    return args


def notebook_parameters(args: argparse.Namespace, extra: dict[str, Any]) -> dict[str, Any]:
    """The job's parameters, then the built-ins the runner knows best (the run's own ids and prefix)."""
    run_id: Any = int(args.run_id) if args.run_id.isdigit() else args.run_id
    return {
        "run_date": datetime.now(UTC).date().isoformat(),
        **extra,
        "job_identifier": args.job_identifier,
        "run_id": run_id,
        "output_location": storage.join(args.output_uri, ""),
    }


def describe(args: argparse.Namespace) -> str:
    """What a run with these arguments does, step by step (the dry run's output)."""
    return "\n".join(
        [
            f"fetch the notebook {args.notebook_uri} ({notebook_kind(args.notebook_uri)})",
            f"run it with the {args.kernel} kernel, for at most {args.timeout_seconds:g} seconds, "
            f"for job {args.job_identifier}, run {args.run_id}",
            f"parameters: {json.dumps(args.parameters, sort_keys=True)}",
            f"upload {', '.join(OUTPUT_NAMES)} and the files it writes "
            f"to {storage.join(args.output_uri, '')}",
        ]
    )


@contextlib.contextmanager
def output_to(log_path: Path) -> Iterator[TextIO]:
    """Send this process's stdout and stderr, and its children's (kernel, Spark's JVM), to ``log_path``.

    Yields a stream on the original stderr, for what should still reach the console.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    console = os.fdopen(os.dup(saved[2]), "w", buffering=1)
    with open(log_path, "ab", buffering=0) as log:
        for fd in (1, 2):
            os.dup2(log.fileno(), fd)
        try:
            yield console
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)


def run(args: argparse.Namespace, work_dir: Path) -> Outcome:
    """Fetch and execute the notebook in ``work_dir``; a notebook that cannot be read is a failed run."""
    started = datetime.now(UTC)
    kind = notebook_kind(args.notebook_uri) or ""
    try:
        content = storage.read(args.notebook_uri)
        notebook = runnable_notebook(kind, content)
    except NotebookProblem as exc:
        return _not_run(args, started, Failure(None, "", "NotebookProblem", exc.message))
    except Exception as exc:  # S3 refused, no such key, no connection…
        message = f"The notebook could not be read from {args.notebook_uri}: {exc}"
        return _not_run(args, started, Failure(None, "", type(exc).__name__, message))
    return execute(
        notebook,
        work_dir,
        args.parameters,
        args.timeout_seconds,
        kernel_name=args.kernel,
        job_identifier=args.job_identifier,
    )


def _not_run(args: argparse.Namespace, started: datetime, failure: Failure) -> Outcome:
    logger.error("run failed before it started: %s", failure.message)
    finished = datetime.now(UTC)
    return Outcome(
        status=FAILED,
        started_at=started.isoformat(),
        finished_at=finished.isoformat(),
        duration_seconds=round((finished - started).total_seconds(), 3),
        parameters=args.parameters,
        failure=failure,
    )


def store_outputs(args: argparse.Namespace, work_dir: Path, outcome: Outcome) -> None:
    """Upload the notebook's files, list what it left under the output URI, then the runner's own outputs."""
    files_dir = work_dir / "files"
    if files_dir.is_dir():
        for path in sorted(p for p in files_dir.rglob("*") if p.is_file()):
            storage.write(path, storage.join(args.output_uri, f"files/{path.relative_to(files_dir)}"))
    outcome.files = [key for key in storage.list_under(args.output_uri) if key not in OUTPUT_NAMES]
    (work_dir / "outcome.json").write_text(json.dumps(outcome.as_dict(), indent=2), encoding="utf-8")
    for name in OUTPUT_NAMES:
        if (work_dir / name).exists():
            storage.write(work_dir / name, storage.join(args.output_uri, name))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.dry_run:
        print(describe(args))
        return 0
    with tempfile.TemporaryDirectory(prefix="atmo-run-") as tmp:
        work_dir = Path(tmp)
        with output_to(work_dir / "log.txt") as console:
            logging.basicConfig(
                level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr, force=True
            )
            logger.info("%s", describe(args))
            try:
                outcome = run(args, work_dir)
            except Exception as exc:  # a bug of ours: the run still ends, with the reason
                logger.exception("the runner failed")
                failure = Failure(None, "", type(exc).__name__, f"The runner failed: {exc}")
                failure.traceback = clean_traceback(traceback.format_exc())
                outcome = _not_run(args, datetime.now(UTC), failure)
            try:
                render_html(work_dir / "notebook.ipynb", work_dir / "notebook.html")
            except Exception:
                logger.exception("the HTML page of the notebook could not be made")
        where = storage.join(args.output_uri, "")
        try:
            store_outputs(args, work_dir, outcome)
        except Exception as exc:
            print(f"atmo_runner: the outputs could not be stored under {where}: {exc}", file=console)
            return UPLOAD_FAILED
        print(f"atmo_runner: {outcome.status}; outputs under {where}", file=console)
    return outcome.exit_status
