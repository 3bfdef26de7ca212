"""SparkJobProvisioner against stubbed S3 and EMR."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import ANY
from django.core.files.uploadedfile import SimpleUploadedFile

from atmo.jobs.provisioners import NotebookNotFound, SparkJobProvisioner
from atmo.provisioners import AWSError, AWSUnreachable, is_transient
from tests.aws import SPARK_CONFIGURATION, AWSStubs, unreachable

JAR = "s3://us-west-2.elasticmapreduce/libs/script-runner/script-runner.jar"


def test_add_uploads_the_notebook_under_the_jobs_identifier(aws: AWSStubs) -> None:
    notebook = SimpleUploadedFile("report.ipynb", b'{"cells": []}')
    aws.s3.add_response(
        "put_object",
        {},
        {"Bucket": "atmo-code", "Key": "jobs/daily-report/report.ipynb", "Body": b'{"cells": []}'},
    )
    assert SparkJobProvisioner().add("daily-report", notebook) == "jobs/daily-report/report.ipynb"


def test_a_refused_upload_is_an_aws_error(aws: AWSStubs) -> None:
    aws.s3.add_client_error("put_object", "AccessDenied", "Access Denied", 403)
    with pytest.raises(AWSError, match="Access Denied"):
        SparkJobProvisioner().add("x", SimpleUploadedFile("x.ipynb", b"{}"))


def test_get_and_remove_use_the_code_bucket(aws: AWSStubs) -> None:
    aws.s3.add_response("get_object", {"ContentLength": 2}, {"Bucket": "atmo-code", "Key": "jobs/x/x.ipynb"})
    aws.s3.add_response("delete_object", {}, {"Bucket": "atmo-code", "Key": "jobs/x/x.ipynb"})
    provisioner = SparkJobProvisioner()
    assert provisioner.get("jobs/x/x.ipynb")["ContentLength"] == 2
    provisioner.remove("jobs/x/x.ipynb")


def test_a_missing_notebook_is_notebook_not_found(aws: AWSStubs) -> None:
    aws.s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)
    with pytest.raises(NotebookNotFound):
        SparkJobProvisioner().get("jobs/x/gone.ipynb")


@pytest.mark.parametrize("is_public, bucket", [(True, "atmo-public-data"), (False, "atmo-private-data")])
def test_run_sends_the_notebook_step_and_the_timeout(aws: AWSStubs, is_public: bool, bucket: str) -> None:
    aws.add_spark_configuration()
    aws.emr.add_response(
        "run_job_flow",
        {"JobFlowId": "j-RUN"},
        {
            "Name": "atmo-test-job-alice-daily-report",
            "LogUri": ANY,
            "ReleaseLabel": "emr-7.1.0",
            "Configurations": SPARK_CONFIGURATION,
            "Instances": {
                "InstanceGroups": ANY,
                "Ec2KeyName": "atmo",
                # A job's cluster goes away once its steps are done.
                "KeepJobFlowAliveWhenNoSteps": False,
            },
            "JobFlowRole": "atmo-spark-instance-profile",
            "ServiceRole": "EMR_DefaultRole",
            "Applications": [{"Name": "Spark"}, {"Name": "Hive"}, {"Name": "Zeppelin"}],
            "Tags": ANY,
            "VisibleToAllUsers": True,
            "BootstrapActions": [
                {
                    "Name": "setup-telemetry-spark-job",
                    "ScriptBootstrapAction": {
                        "Path": "s3://atmo-spark-emr/bootstrap/telemetry.sh",
                        "Args": ["--runner-uri", "s3://atmo-spark-emr/runner/", "--timeout", "180"],
                    },
                }
            ],
            "Steps": [
                {
                    "Name": "setup-zeppelin",
                    "ActionOnFailure": "TERMINATE_JOB_FLOW",
                    "HadoopJarStep": {"Jar": JAR, "Args": ["s3://atmo-spark-emr/steps/zeppelin/zeppelin.sh"]},
                },
                {
                    "Name": "RunNotebookStep",
                    "ActionOnFailure": "TERMINATE_JOB_FLOW",
                    "HadoopJarStep": {
                        "Jar": JAR,
                        "Args": [
                            "s3://atmo-spark-emr/steps/batch.sh",
                            "--job-identifier",
                            "daily-report",
                            "--run-id",
                            "12",
                            "--notebook-uri",
                            "s3://atmo-code/jobs/daily-report/report.ipynb",
                            "--output-uri",
                            f"s3://{bucket}/daily-report/runs/12/",
                            "--timeout-seconds",
                            str(3 * 3600 - 15 * 60),  # the cluster's start and the upload come off
                            "--parameters-json",
                            '{"run_date": "2026-12-07", "run_id": 12}',
                        ],
                    },
                },
            ],
        },
    )
    jobflow_id = SparkJobProvisioner().run(
        user_username="alice",
        user_email="alice@example.com",
        identifier="daily-report",
        emr_release="7.1.0",
        size=2,
        notebook_key="jobs/daily-report/report.ipynb",
        is_public=is_public,
        job_timeout=3,
        run_id=12,
        parameters={"run_id": 12, "run_date": "2026-12-07"},
    )
    assert jobflow_id == "j-RUN"


def test_results_are_grouped_by_their_second_path_part(aws: AWSStubs) -> None:
    keys = [
        "daily-report/data/2026-11-28/report.ipynb",
        "daily-report/logs/2026-11-28/daily-report.log",
        "daily-report/data/2026-11-29/report.ipynb",
        "daily-report/stray-file",
    ]
    aws.s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": key} for key in keys[:2]], "IsTruncated": True, "NextContinuationToken": "t"},
        {"Bucket": "atmo-private-data", "Prefix": "daily-report/"},
    )
    aws.s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": key} for key in keys[2:]], "IsTruncated": False},
        {"Bucket": "atmo-private-data", "Prefix": "daily-report/", "ContinuationToken": "t"},
    )
    results = SparkJobProvisioner().results("daily-report", is_public=False)
    assert results == {
        "data": ["daily-report/data/2026-11-28/report.ipynb", "daily-report/data/2026-11-29/report.ipynb"],
        "logs": ["daily-report/logs/2026-11-28/daily-report.log"],
    }


def test_a_runs_outputs_are_data_and_its_log_is_a_log(aws: AWSStubs) -> None:
    keys = [
        f"daily-report/runs/7/{name}" for name in ("log.txt", "notebook.ipynb", "outcome.json", "files/a.csv")
    ]
    aws.s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": key} for key in keys], "IsTruncated": False},
        {"Bucket": "atmo-private-data", "Prefix": "daily-report/"},
    )
    assert SparkJobProvisioner().results("daily-report", is_public=False) == {
        "logs": ["daily-report/runs/7/log.txt"],
        "data": keys[1:],
    }


def test_public_results_get_public_urls_and_private_ones_short_lived_links(settings: Any) -> None:
    provisioner = SparkJobProvisioner()
    settings.PUBLIC_DATA_URL = "https://data.example.org/"
    assert (
        provisioner.result_url("x/data/a.ipynb", is_public=True) == "https://data.example.org/x/data/a.ipynb"
    )
    link = provisioner.result_url("x/data/a.ipynb", is_public=False)
    assert "atmo-private-data" in link
    assert "X-Amz-Expires=600" in link
    assert "X-Amz-Signature=" in link


def test_read_result_reads_from_the_jobs_own_bucket(aws: AWSStubs) -> None:
    from botocore.response import StreamingBody

    aws.s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(b"# Result"), 8)},
        {"Bucket": "atmo-private-data", "Key": "x/data/a.md"},
    )
    assert SparkJobProvisioner().read_result("x/data/a.md", is_public=False) == b"# Result"


def test_run_tags_the_job_flow_with_its_run(aws: AWSStubs) -> None:
    sent: dict[str, Any] = {}
    aws.clients["emr"].meta.events.register(
        "provide-client-params.emr.RunJobFlow", lambda params, **kwargs: sent.update(params)
    )
    aws.add_spark_configuration()
    aws.emr.add_response("run_job_flow", {"JobFlowId": "j-RUN"}, None)
    SparkJobProvisioner().run(
        "alice", "alice@example.com", "daily-report", "7.1.0", 1, "k", False, 1, run_id=42
    )
    # The spec's name and tags, plus the run's tag.
    assert sent["Name"] == "atmo-test-job-alice-daily-report"
    assert [tag["Key"] for tag in sent["Tags"]] == [
        "Owner",
        "Name",
        "Environment",
        "Application",
        "App",
        "Type",
        "SparkJobRun",
    ]
    assert sent["Tags"][-1] == {"Key": "SparkJobRun", "Value": "42"}


def test_no_connection_to_emr_is_a_transient_error(aws: AWSStubs) -> None:
    aws.add_spark_configuration()
    with unreachable(aws, "emr", "run_job_flow"), pytest.raises(AWSUnreachable) as error:
        SparkJobProvisioner().run("alice", "a@example.com", "daily-report", "7.1.0", 1, "k", False, 1)
    assert is_transient(error.value)
    assert "Could not connect to the endpoint URL" in error.value.message


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("get_object", lambda p: p.get("jobs/x/x.ipynb")),
        ("delete_object", lambda p: p.remove("jobs/x/x.ipynb")),
        ("get_paginator", lambda p: p.results("x", is_public=False)),
        ("get_object", lambda p: p.read_result("x/data/a.md", is_public=False)),
        ("put_object", lambda p: p.add("x", SimpleUploadedFile("x.ipynb", b"{}"))),
    ],
)
def test_no_connection_to_s3_is_an_aws_error_with_a_clear_message(
    aws: AWSStubs, method: str, call: Any
) -> None:
    with unreachable(aws, "s3", method), pytest.raises(AWSUnreachable, match="^AWS could not be reached: "):
        call(SparkJobProvisioner())


def test_refusals_and_throttling_are_told_apart() -> None:
    assert is_transient(AWSError("Rate exceeded", code="ThrottlingException"))
    assert not is_transient(AWSError("Access denied", code="AccessDeniedException"))


def test_find_run_cluster_looks_at_this_jobs_job_flows_only(aws: AWSStubs) -> None:
    since = datetime(2026, 12, 1, tzinfo=UTC)
    name = "atmo-test-job-alice-daily-report"
    aws.emr.add_response(
        "list_clusters",
        {
            "Clusters": [
                {"Id": "j-OTHER-JOB", "Name": "atmo-test-job-bob-other", "Status": {"State": "RUNNING"}},
                {"Id": "j-EARLIER", "Name": name, "Status": {"State": "TERMINATED"}},
                {"Id": "j-THIS", "Name": name, "Status": {"State": "STARTING"}},
            ]
        },
        {"CreatedAfter": since},
    )
    for jobflow_id, run_id in [("j-EARLIER", "6"), ("j-THIS", "7")]:
        aws.emr.add_response(
            "describe_cluster",
            {"Cluster": {"Id": jobflow_id, "Tags": [{"Key": "SparkJobRun", "Value": run_id}]}},
            {"ClusterId": jobflow_id},
        )
    assert SparkJobProvisioner().find_run_cluster("alice", "daily-report", 7, since) == "j-THIS"


def test_run_outputs_get_short_lived_links_that_download() -> None:
    link = SparkJobProvisioner().output_url(
        "atmo-private-data", "daily-report/runs/7/log.txt", download_name="log.txt"
    )
    assert "atmo-private-data" in link and "daily-report/runs/7/log.txt" in link
    assert "X-Amz-Expires=600" in link
    assert "response-content-disposition=attachment%3B%20filename%3D%22log.txt%22" in link


def test_the_notebook_step_state_comes_from_the_step_listing(aws: AWSStubs) -> None:
    steps = [
        {"Id": "s-1", "Name": "setup-zeppelin", "Status": {"State": "COMPLETED"}},
        {"Id": "s-2", "Name": "RunNotebookStep", "Status": {"State": "RUNNING"}},
    ]
    aws.emr.add_response("list_steps", {"Steps": steps}, {"ClusterId": "j-RUN"})
    assert SparkJobProvisioner().step_state("j-RUN") == "RUNNING"
    aws.emr.add_response("list_steps", {"Steps": steps[:1]}, {"ClusterId": "j-RUN"})
    assert SparkJobProvisioner().step_state("j-RUN") is None
