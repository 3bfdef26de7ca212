"""S3 and EMR calls for scheduled Spark jobs (the AWS seam; see atmo.provisioners)."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from datetime import datetime
from typing import IO, Any

from django.conf import settings

from atmo.cluster_code import BATCH_KEY
from atmo.provisioners import AWSError, Provisioner, aws_errors

logger = logging.getLogger(__name__)

#: How long a private result's download link works.
PRIVATE_LINK_SECONDS = 10 * 60
#: The name of the step that runs the notebook (see :meth:`SparkJobProvisioner.run`).
NOTEBOOK_STEP_NAME = "RunNotebookStep"
#: What the notebook's own time limit leaves of the job's timeout, which ATMO counts from the
#: run's request: the cluster's start (minutes on EMR) and the time to store the outputs. The
#: runner stops the notebook first, so that the run ends TIMED OUT with its outputs kept.
RUN_START_ALLOWANCE_SECONDS = 15 * 60


def notebook_timeout_seconds(job_timeout_hours: int) -> int:
    """How long the notebook itself may run within a job timeout of ``job_timeout_hours``."""
    return max(60, job_timeout_hours * 3600 - RUN_START_ALLOWANCE_SECONDS)


#: The tag that names the run a job flow was started for (see :meth:`SparkJobProvisioner.find_run_cluster`).
RUN_TAG = "SparkJobRun"


def results_bucket(is_public: bool) -> str:
    return settings.AWS_CONFIG["PUBLIC_DATA_BUCKET" if is_public else "PRIVATE_DATA_BUCKET"]


def public_result_url(key: str) -> str:
    """Where anyone may read a result of the public bucket (no signature: nothing to expire)."""
    return f"{settings.PUBLIC_DATA_URL}{key}"


def run_output_prefix(identifier: str, run_id: int | None) -> str:
    """The folder of one run's outputs in the results bucket: ``<job>/runs/<run id>/``."""
    return f"{identifier}/runs/{run_id}/"


class NotebookNotFound(AWSError):
    """The notebook object is not (or no longer) in the code bucket."""


def missing_notebook(error: AWSError) -> AWSError:
    """S3's "no such key" as :class:`NotebookNotFound`; any other refusal as it is."""
    if error.code in ("NoSuchKey", "404"):
        return NotebookNotFound(error.message, code=error.code, operation=error.operation)
    return error


class OutputNotFound(AWSError):
    """A run's output object is not (or not yet) in the results bucket."""


def missing_output(error: AWSError) -> AWSError:
    """S3's "no such key" as :class:`OutputNotFound`; any other refusal as it is."""
    if error.code in ("NoSuchKey", "404"):
        return OutputNotFound(error.message, code=error.code, operation=error.operation)
    return error


class SparkJobProvisioner(Provisioner):
    """Stores notebooks, starts job runs and lists their results."""

    log_dir = "jobs"
    name_component = "job"

    def __init__(self) -> None:
        super().__init__()
        self.batch_uri = f"s3://{self.spark_emr_bucket}/{BATCH_KEY}"

    @property
    def code_bucket(self) -> str:
        return self.config["CODE_BUCKET"]

    def data_bucket(self, is_public: bool) -> str:
        return results_bucket(is_public)

    def add(self, identifier: str, notebook_file: Any) -> str:
        """Upload the notebook to ``jobs/<identifier>/<file name>``; returns the key."""
        key = f"jobs/{identifier}/{notebook_file.name}"
        body: IO[bytes] = notebook_file
        if hasattr(notebook_file, "seek"):
            notebook_file.seek(0)
        try:
            with aws_errors():
                self.s3.put_object(Bucket=self.code_bucket, Key=key, Body=body.read())
        except AWSError:
            logger.warning("notebook upload failed", extra={"key": key})
            raise
        return key

    def get(self, key: str) -> dict[str, Any]:
        """The notebook's S3 object (``Body``, ``ContentLength``…).

        Raises :class:`NotebookNotFound` when it is gone, :class:`AWSError` otherwise.
        """
        with aws_errors(missing_notebook):
            return self.s3.get_object(Bucket=self.code_bucket, Key=key)

    def remove(self, key: str) -> None:
        """Delete the notebook from the code bucket; raises :class:`AWSError`."""
        with aws_errors():
            self.s3.delete_object(Bucket=self.code_bucket, Key=key)

    def run(
        self,
        user_username: str,
        user_email: str,
        identifier: str,
        emr_release: str,
        size: int,
        notebook_key: str,
        is_public: bool,
        job_timeout: int,
        run_id: int | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> str:
        """Start a cluster that runs the notebook once and terminates; returns its id.

        The batch step (``emr/batch.sh``) runs the notebook with ``parameters``
        injected, for at most :func:`notebook_timeout_seconds`, and leaves its outputs under
        :func:`run_output_prefix` in the job's results bucket.

        ``run_id`` (the :class:`~atmo.jobs.models.SparkJobRun` the cluster is for) goes
        into the :data:`RUN_TAG` tag, so that the cluster can be found again when the
        worker stops before saving the id, or when EMR's answer is lost (see
        :meth:`~atmo.provisioners.Provisioner.start_job_flow`). Raises
        :class:`AWSUnreachable` when AWS cannot be reached, :class:`AWSError` when it refuses.
        """
        params = self.job_flow_params(user_username, user_email, identifier, emr_release, size)
        params["BootstrapActions"] = [
            {
                "Name": "setup-telemetry-spark-job",
                "ScriptBootstrapAction": {
                    "Path": self.script_uri,
                    # The bootstrap script wants minutes.
                    "Args": ["--runner-uri", self.runner_uri, "--timeout", str(job_timeout * 60)],
                },
            }
        ]
        params["Steps"] = [
            self.zeppelin_step(),
            {
                "Name": NOTEBOOK_STEP_NAME,
                "ActionOnFailure": "TERMINATE_JOB_FLOW",
                "HadoopJarStep": {
                    "Jar": self.jar_uri,
                    "Args": [
                        self.batch_uri,
                        "--job-identifier",
                        identifier,
                        "--run-id",
                        str(run_id),
                        "--notebook-uri",
                        f"s3://{self.code_bucket}/{notebook_key}",
                        "--output-uri",
                        f"s3://{self.data_bucket(is_public)}/{run_output_prefix(identifier, run_id)}",
                        "--timeout-seconds",
                        str(notebook_timeout_seconds(job_timeout)),
                        "--parameters-json",
                        json.dumps(parameters or {}, sort_keys=True),
                    ],
                },
            },
        ]
        tag = None if run_id is None else {"Key": RUN_TAG, "Value": str(run_id)}
        return self.start_job_flow(params, identifier, tag)

    def find_run_cluster(
        self, user_username: str, identifier: str, run_id: int, created_after: datetime
    ) -> str | None:
        """The id of the job flow started for run ``run_id`` since ``created_after``, if any.

        Raises :class:`AWSError`.
        """
        name = self.job_flow_name(user_username, identifier)
        return self.find_tagged_job_flow(name, {"Key": RUN_TAG, "Value": str(run_id)}, created_after)

    def results(self, identifier: str, is_public: bool) -> dict[str, list[str]]:
        """The job's result keys grouped by their second path part: ``data``, ``logs``…

        A run's outputs (``<job>/runs/<run id>/…``) count as ``data``, their ``log.txt`` as ``logs``.
        """
        bucket = self.data_bucket(is_public)
        groups: dict[str, list[str]] = OrderedDict()
        with aws_errors():
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{identifier}/")
            for page in pages:
                for item in page.get("Contents", []):
                    parts = item["Key"].split("/")
                    if len(parts) > 3 and parts[1] == "runs":
                        group = "logs" if parts[-1] == "log.txt" else "data"
                        groups.setdefault(group, []).append(item["Key"])
                    elif len(parts) > 2 and parts[1]:
                        groups.setdefault(parts[1], []).append(item["Key"])
        return groups

    def result_url(self, key: str, is_public: bool) -> str:
        """A public URL, or a short-lived signed link for a private result."""
        if is_public:
            return public_result_url(key)
        return self.s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.data_bucket(False), "Key": key},
            ExpiresIn=PRIVATE_LINK_SECONDS,
        )

    def read_result(self, key: str, is_public: bool) -> bytes:
        with aws_errors():
            return self.s3.get_object(Bucket=self.data_bucket(is_public), Key=key)["Body"].read()

    def read_outcome(self, bucket: str, prefix: str) -> dict[str, Any] | None:
        """The run's ``outcome.json`` under ``prefix``; None when there is none or it is not a JSON object.

        Raises :class:`AWSError` when S3 cannot be read.
        """
        key = f"{prefix}outcome.json"
        try:
            body = self.get_output(bucket, key)["Body"]
        except OutputNotFound:
            return None
        try:
            outcome = json.loads(body.read())
        except ValueError:
            logger.warning("run outcome is not JSON", extra={"key": key})
            return None
        finally:
            body.close()
        return outcome if isinstance(outcome, dict) else None

    def get_output(self, bucket: str, key: str) -> dict[str, Any]:
        """A run output's S3 object (``Body``, ``ContentLength``…).

        Raises :class:`OutputNotFound` when it is not there, :class:`AWSError` otherwise.
        """
        with aws_errors(missing_output):
            return self.s3.get_object(Bucket=bucket, Key=key)

    def output_url(
        self, bucket: str, key: str, expires: int = PRIVATE_LINK_SECONDS, download_name: str | None = None
    ) -> str:
        """A signed link to a run output that works for ``expires`` seconds.

        With ``download_name`` the browser saves the object under that name instead of showing it.
        """
        params = {"Bucket": bucket, "Key": key}
        if download_name is not None:
            params["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        return self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    def step_state(self, jobflow_id: str) -> str | None:
        """The EMR state of the notebook step of the job flow (PENDING, RUNNING, COMPLETED…), if listed.

        Raises :class:`AWSError`.
        """
        with aws_errors():
            steps = self.emr.list_steps(ClusterId=jobflow_id).get("Steps", [])
        for step in steps:
            if step.get("Name") == NOTEBOOK_STEP_NAME:
                return step.get("Status", {}).get("State")
        return None
