"""S3 and EMR calls for scheduled Spark jobs (the AWS seam; see atmo.provisioners)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from atmo.provisioners import AWSError, Provisioner

logger = logging.getLogger(__name__)

#: How long a private result's download link works.
PRIVATE_LINK_SECONDS = 10 * 60


class NotebookNotFound(AWSError):
    """The notebook object is not (or no longer) in the code bucket."""


class SparkJobProvisioner(Provisioner):
    """Stores notebooks, starts job runs and lists their results."""

    log_dir = "jobs"
    name_component = "job"

    def __init__(self) -> None:
        super().__init__()
        self.batch_uri = f"s3://{self.spark_emr_bucket}/steps/batch.sh"

    @property
    def code_bucket(self) -> str:
        return self.config["CODE_BUCKET"]

    def data_bucket(self, is_public: bool) -> str:
        return self.config["PUBLIC_DATA_BUCKET" if is_public else "PRIVATE_DATA_BUCKET"]

    def add(self, identifier: str, notebook_file: Any) -> str:
        """Upload the notebook to ``jobs/<identifier>/<file name>``; returns the key."""
        key = f"jobs/{identifier}/{notebook_file.name}"
        body: IO[bytes] = notebook_file
        if hasattr(notebook_file, "seek"):
            notebook_file.seek(0)
        try:
            self.s3.put_object(Bucket=self.code_bucket, Key=key, Body=body.read())
        except ClientError as exc:
            logger.warning("notebook upload refused", extra={"key": key})
            raise AWSError.from_client_error(exc) from exc
        except BotoCoreError as exc:
            raise AWSError(f"AWS could not be reached: {exc}") from exc
        return key

    def get(self, key: str) -> dict[str, Any]:
        """The notebook's S3 object (``Body``, ``ContentLength``…)."""
        try:
            return self.s3.get_object(Bucket=self.code_bucket, Key=key)
        except ClientError as exc:
            error = AWSError.from_client_error(exc)
            if error.code in ("NoSuchKey", "404"):
                raise NotebookNotFound(error.message, code=error.code) from exc
            raise error from exc

    def remove(self, key: str) -> None:
        try:
            self.s3.delete_object(Bucket=self.code_bucket, Key=key)
        except ClientError as exc:
            raise AWSError.from_client_error(exc) from exc

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
    ) -> str:
        """Start a cluster that runs the notebook once and terminates; returns its id."""
        params = self.job_flow_params(user_username, user_email, identifier, emr_release, size)
        params["BootstrapActions"] = [
            {
                "Name": "setup-telemetry-spark-job",
                "ScriptBootstrapAction": {
                    "Path": self.script_uri,
                    # The bootstrap script wants minutes.
                    "Args": ["--timeout", str(job_timeout * 60)],
                },
            }
        ]
        params["Steps"] = [
            self.zeppelin_step(),
            {
                "Name": "RunNotebookStep",
                "ActionOnFailure": "TERMINATE_JOB_FLOW",
                "HadoopJarStep": {
                    "Jar": self.jar_uri,
                    "Args": [
                        self.batch_uri,
                        "--job-name",
                        identifier,
                        "--notebook",
                        f"s3://{self.code_bucket}/{notebook_key}",
                        "--data-bucket",
                        self.data_bucket(is_public),
                    ],
                },
            },
        ]
        return self.start_job_flow(params, identifier)

    def results(self, identifier: str, is_public: bool) -> dict[str, list[str]]:
        """The job's result keys grouped by their second path part: ``data``, ``logs``…"""
        bucket = self.data_bucket(is_public)
        groups: dict[str, list[str]] = OrderedDict()
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{identifier}/")
            for page in pages:
                for item in page.get("Contents", []):
                    parts = item["Key"].split("/")
                    if len(parts) > 2 and parts[1]:
                        groups.setdefault(parts[1], []).append(item["Key"])
        except ClientError as exc:
            raise AWSError.from_client_error(exc) from exc
        return groups

    def result_url(self, key: str, is_public: bool) -> str:
        """A public URL, or a short-lived signed link for a private result."""
        if is_public:
            return f"{settings.PUBLIC_DATA_URL}{key}"
        return self.s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.data_bucket(False), "Key": key},
            ExpiresIn=PRIVATE_LINK_SECONDS,
        )

    def read_result(self, key: str, is_public: bool) -> bytes:
        """A result object's content (e.g. Zeppelin's markdown), from the job's own bucket."""
        try:
            return self.s3.get_object(Bucket=self.data_bucket(is_public), Key=key)["Body"].read()
        except ClientError as exc:
            raise AWSError.from_client_error(exc) from exc
