"""Steps that run a scheduled job's notebook: reading their Args, failing them, leaving results in S3."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

#: How result folders are named: after the moment the step finished (UTC).
RESULT_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class JobStepArgs:
    """The parts of a job step's Args that say where its notebook and results live."""

    job_name: str
    notebook_bucket: str
    notebook_key: str
    data_bucket: str


def _options(args: Sequence[str]) -> dict[str, str]:
    """``--flag value`` pairs of an argument list (a flag's value is simply the next item)."""
    return {flag: value for flag, value in itertools.pairwise(args) if flag.startswith("--")}


def parse_job_step_args(args: Sequence[str]) -> JobStepArgs | None:
    """The job described by a step's Args, or None when they do not name a job and an S3 notebook."""
    options = _options(args)
    notebook = options.get("--notebook", "")
    bucket, _, key = notebook.removeprefix("s3://").partition("/")
    if not (
        notebook.startswith("s3://") and key and options.get("--job-name") and options.get("--data-bucket")
    ):
        return None
    return JobStepArgs(options["--job-name"], bucket, key, options["--data-bucket"])


def step_should_fail(args: Sequence[str]) -> bool:
    """The local convention for failing steps: ``--fail``, or "fail" in the script or notebook file name."""
    if "--fail" in args:
        return True
    paths = [*args[:1], _options(args).get("--notebook", "")]
    return any("fail" in PurePosixPath(path).name.lower() for path in paths)


def step_should_hang(args: Sequence[str]) -> bool:
    """The local convention for steps that never finish: "hang" in the notebook file name.

    Such a step runs until its cluster is terminated, as a notebook stuck in a loop
    would: what a job's timeout is for.
    """
    return "hang" in PurePosixPath(_options(args).get("--notebook", "")).name.lower()


def publish_job_results(s3: Any, args: Sequence[str], finished_at: datetime, *, succeeded: bool) -> list[str]:
    """Leave in S3 what the production batch script leaves for a finished job step.

    On success the notebook is copied to ``<job>/data/<stamp>/<file name>``; a
    log goes to ``<job>/logs/<stamp>/<job>.log`` either way, both in the job's
    data bucket. Returns the keys written (none when ``args`` name no job).
    """
    job = parse_job_step_args(args)
    if job is None:
        return []
    stamp = finished_at.strftime(RESULT_STAMP_FORMAT)
    keys = []
    if succeeded:
        data_key = f"{job.job_name}/data/{stamp}/{PurePosixPath(job.notebook_key).name}"
        source = {"Bucket": job.notebook_bucket, "Key": job.notebook_key}
        s3.copy_object(Bucket=job.data_bucket, Key=data_key, CopySource=source)
        keys.append(data_key)
    log_key = f"{job.job_name}/logs/{stamp}/{job.job_name}.log"
    outcome = "succeeded" if succeeded else "failed"
    log_text = (
        f"{finished_at.isoformat()}Z job {job.job_name} {outcome}\n"
        f"notebook: s3://{job.notebook_bucket}/{job.notebook_key}\n"
        "(written by the local AWS emulator: no notebook was actually run)\n"
    )
    s3.put_object(Bucket=job.data_bucket, Key=log_key, Body=log_text.encode(), ContentType="text/plain")
    keys.append(log_key)
    return keys
