"""ClusterProvisioner against stubbed EMR: the exact requests and the answers' handling."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.stub import ANY
from django.utils import timezone

from atmo.clusters.provisioners import ClusterNotFound, ClusterProvisioner
from atmo.provisioners import AWSError, AWSUnreachable, is_transient
from tests.aws import SPARK_CONFIGURATION, AWSStubs, unreachable
from tests.clusters.helpers import PUBLIC_KEY, emr_cluster


def test_start_sends_the_full_run_job_flow_request(aws: AWSStubs, live_setting: Any) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=True, AWS_SPOT_BID_CORE=0.84, AWS_EFS_DNS="fs-1.efs.example")
    aws.add_spark_configuration()
    aws.emr.add_response(
        "run_job_flow",
        {"JobFlowId": "j-NEW"},
        {
            "Name": "atmo-test-cluster-alice-curious-curie-0001",
            "LogUri": ANY,
            "ReleaseLabel": "emr-7.1.0",
            "Configurations": SPARK_CONFIGURATION,
            "Instances": {
                "InstanceGroups": [
                    {
                        "Name": "Master",
                        "Market": "ON_DEMAND",
                        "InstanceRole": "MASTER",
                        "InstanceType": "c3.4xlarge",
                        "InstanceCount": 1,
                    },
                    {
                        "Name": "Worker Instances",
                        "Market": "SPOT",
                        "BidPrice": "0.84",
                        "InstanceRole": "CORE",
                        "InstanceType": "c3.4xlarge",
                        "InstanceCount": 3,
                    },
                ],
                "Ec2KeyName": "atmo",
                "KeepJobFlowAliveWhenNoSteps": True,
            },
            "JobFlowRole": "atmo-spark-instance-profile",
            "ServiceRole": "EMR_DefaultRole",
            "Applications": [{"Name": "Spark"}, {"Name": "Hive"}, {"Name": "Zeppelin"}],
            "Tags": [
                {"Key": "Owner", "Value": "alice@example.com"},
                {"Key": "Name", "Value": "curious-curie-0001"},
                {"Key": "Environment", "Value": "test"},
                {"Key": "Application", "Value": "atmo-worker-instance"},
                {"Key": "App", "Value": "atmo"},
                {"Key": "Type", "Value": "worker"},
            ],
            "VisibleToAllUsers": True,
            "BootstrapActions": [
                {
                    "Name": "setup-telemetry-cluster",
                    "ScriptBootstrapAction": {
                        "Path": "s3://atmo-spark-emr/bootstrap/telemetry.sh",
                        "Args": [
                            "--runner-uri",
                            "s3://atmo-spark-emr/runner/",
                            "--public-key",
                            PUBLIC_KEY,
                            "--email",
                            "alice@example.com",
                            "--efs-dns",
                            "fs-1.efs.example",
                        ],
                    },
                }
            ],
            "Steps": [
                {
                    "Name": "setup-zeppelin",
                    "ActionOnFailure": "TERMINATE_JOB_FLOW",
                    "HadoopJarStep": {
                        "Jar": "s3://us-west-2.elasticmapreduce/libs/script-runner/script-runner.jar",
                        "Args": ["s3://atmo-spark-emr/steps/zeppelin/zeppelin.sh"],
                    },
                }
            ],
        },
    )
    jobflow_id = ClusterProvisioner().start(
        user_username="alice",
        user_email="alice@example.com",
        identifier="curious-curie-0001",
        emr_release="7.1.0",
        size=3,
        public_key=PUBLIC_KEY,
    )
    assert jobflow_id == "j-NEW"


def test_the_log_uri_is_per_cluster_and_timestamped(aws: AWSStubs) -> None:
    aws.add_spark_configuration()
    params = ClusterProvisioner().job_flow_params("alice", "a@example.com", "my-cluster", "7.1.0", 1)
    assert params["LogUri"].startswith("s3://atmo-logs/clusters/my-cluster/")
    assert params["LogUri"].endswith("+00:00")


def test_a_refusal_becomes_an_aws_error_with_the_reason(aws: AWSStubs) -> None:
    aws.add_spark_configuration()
    aws.emr.add_client_error(
        "run_job_flow", "ValidationException", "The requested instance type is not supported.", 400
    )
    with pytest.raises(AWSError) as excinfo:
        ClusterProvisioner().start("alice", "a@example.com", "x", "7.1.0", 1, PUBLIC_KEY)
    assert excinfo.value.message == "The requested instance type is not supported."
    assert not excinfo.value.is_throttling


def test_throttling_is_flagged(aws: AWSStubs) -> None:
    aws.add_spark_configuration()
    aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
    with pytest.raises(AWSError) as excinfo:
        ClusterProvisioner().start("alice", "a@example.com", "x", "7.1.0", 1, PUBLIC_KEY)
    assert excinfo.value.is_throttling


def test_info_formats_describe_cluster(aws: AWSStubs) -> None:
    created = timezone.now() - timedelta(minutes=10)
    ready = created + timedelta(minutes=7)
    aws.emr.add_response(
        "describe_cluster",
        {"Cluster": emr_cluster("j-1", "WAITING", created, ready, public_dns="master.example")},
        {"ClusterId": "j-1"},
    )
    info = ClusterProvisioner().info("j-1")
    assert (info.jobflow_id, info.state, info.public_dns) == ("j-1", "WAITING", "master.example")
    assert (info.creation_datetime, info.ready_datetime, info.end_datetime) == (created, ready, None)
    assert info["state"] == "WAITING"


def test_info_of_an_unknown_cluster_raises_cluster_not_found(aws: AWSStubs) -> None:
    aws.emr.add_client_error(
        "describe_cluster", "InvalidRequestException", "Cluster id 'j-GONE' is not valid.", 400
    )
    with pytest.raises(ClusterNotFound):
        ClusterProvisioner().info("j-GONE")


def test_list_follows_every_page(aws: AWSStubs) -> None:
    since = timezone.now() - timedelta(days=1)
    for page, marker in enumerate([None, "m1", "m2"]):
        expected: dict[str, Any] = {"CreatedAfter": since}
        if marker:
            expected["Marker"] = marker
        response: dict[str, Any] = {
            "Clusters": [emr_cluster(f"j-{page}-{i}", "RUNNING") for i in range(50 if page < 2 else 20)]
        }
        if page < 2:
            response["Marker"] = f"m{page + 1}"
        aws.emr.add_response("list_clusters", response, expected)
    clusters = ClusterProvisioner().list(created_after=since)
    assert len(clusters) == 120
    assert clusters[0].public_dns is None  # ListClusters has none


def test_stop_terminates_the_job_flow(aws: AWSStubs) -> None:
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-1"]})
    ClusterProvisioner().stop("j-1")


def test_stopping_an_unknown_cluster_raises_cluster_not_found(aws: AWSStubs) -> None:
    aws.emr.add_client_error(
        "terminate_job_flows", "InvalidRequestException", "Cluster id 'j-GONE' is not valid.", 400
    )
    with pytest.raises(ClusterNotFound):
        ClusterProvisioner().stop("j-GONE")


def test_access_denied_is_an_aws_error_not_a_missing_cluster(aws: AWSStubs) -> None:
    aws.emr.add_client_error("terminate_job_flows", "AccessDeniedException", "Not authorized.", 403)
    with pytest.raises(AWSError) as excinfo:
        ClusterProvisioner().stop("j-1")
    assert not isinstance(excinfo.value, ClusterNotFound)
    assert excinfo.value.code == "AccessDeniedException"


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("describe_cluster", lambda provisioner: provisioner.info("j-1")),
        ("list_clusters", lambda provisioner: provisioner.list(timezone.now() - timedelta(days=1))),
        ("terminate_job_flows", lambda provisioner: provisioner.stop("j-1")),
    ],
    ids=["info", "list", "stop"],
)
def test_no_connection_to_emr_is_an_unreachable_error_worth_retrying(
    aws: AWSStubs, method: str, call: Any
) -> None:
    with unreachable(aws, "emr", method), pytest.raises(AWSUnreachable, match="^AWS could not be reached: "):
        call(ClusterProvisioner())


def test_no_connection_when_starting_is_an_unreachable_error(aws: AWSStubs) -> None:
    aws.add_spark_configuration()
    with unreachable(aws, "emr", "run_job_flow"), pytest.raises(AWSUnreachable) as excinfo:
        ClusterProvisioner().start("alice", "alice@example.com", "curious-curie", "7.1.0", 1, PUBLIC_KEY)
    assert is_transient(excinfo.value)
