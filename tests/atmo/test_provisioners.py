"""The base provisioner, with botocore's Stubber on its clients (the AWS seam)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from botocore.response import StreamingBody
from urllib3.exceptions import ReadTimeoutError

from atmo import provisioners
from atmo.provisioners import (
    AWSError,
    AWSThrottled,
    AWSUnreachable,
    Provisioner,
    describe_aws_failure,
    is_throttling,
    is_transient,
)
from tests.aws import SPARK_CONFIGURATION, AWSStubs, unreachable


class ExampleProvisioner(Provisioner):
    log_dir = "examples"
    name_component = "example"


@pytest.fixture
def provisioner(aws: AWSStubs) -> ExampleProvisioner:
    return ExampleProvisioner()


def test_clients_use_the_configured_region(provisioner: ExampleProvisioner, settings: Any) -> None:
    assert provisioner.emr.meta.region_name == settings.AWS_CONFIG["AWS_REGION"]
    assert provisioner.s3.meta.region_name == settings.AWS_CONFIG["AWS_REGION"]


def test_uris_come_from_the_live_spark_emr_bucket(live_setting: Any) -> None:
    live_setting(AWS_SPARK_EMR_BUCKET="other-bucket")
    provisioner = ExampleProvisioner()
    assert provisioner.script_uri == "s3://other-bucket/bootstrap/telemetry.sh"
    assert provisioner.zeppelin_uri == "s3://other-bucket/steps/zeppelin/zeppelin.sh"


def test_spark_emr_configuration_is_read_from_s3(provisioner: ExampleProvisioner, aws: AWSStubs) -> None:
    aws.add_spark_configuration()
    assert provisioner.spark_emr_configuration() == SPARK_CONFIGURATION


def test_a_missing_configuration_becomes_an_aws_error(provisioner: ExampleProvisioner, aws: AWSStubs) -> None:
    aws.s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)
    with pytest.raises(AWSError) as excinfo:
        provisioner.spark_emr_configuration()
    assert excinfo.value.code == "NoSuchKey"
    assert excinfo.value.message == "The specified key does not exist."


class CutOffStream(io.RawIOBase):
    """A response body whose connection times out while it is read."""

    def read(self, size: int = -1) -> bytes:
        raise ReadTimeoutError(None, "s3.us-west-2.amazonaws.com", "Read timed out.")  # type: ignore[arg-type]


def add_configuration_body(aws: AWSStubs, body: io.RawIOBase, length: int) -> None:
    aws.s3.add_response(
        "get_object",
        {"Body": StreamingBody(body, length)},
        {"Bucket": "atmo-spark-emr", "Key": "configuration/configuration.json"},
    )


def test_s3_out_of_reach_makes_the_configuration_read_worth_retrying(
    provisioner: ExampleProvisioner, aws: AWSStubs
) -> None:
    with unreachable(aws, "s3", "get_object"), pytest.raises(AWSUnreachable) as excinfo:
        provisioner.spark_emr_configuration()
    assert is_transient(excinfo.value)


def test_a_connection_lost_while_reading_the_configuration_is_worth_retrying(
    provisioner: ExampleProvisioner, aws: AWSStubs
) -> None:
    add_configuration_body(aws, CutOffStream(), 100)
    with pytest.raises(AWSUnreachable) as excinfo:
        provisioner.spark_emr_configuration()
    assert "Read timeout" in excinfo.value.message


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{not json", "The Spark EMR configuration in S3 is not valid JSON"),
        (b'{"Classification": "spark"}', "The Spark EMR configuration in S3 must be a JSON list"),
    ],
)
def test_a_configuration_that_is_not_a_json_list_is_refused_for_good(
    provisioner: ExampleProvisioner, aws: AWSStubs, body: bytes, message: str
) -> None:
    add_configuration_body(aws, io.BytesIO(body), len(body))
    with pytest.raises(AWSError) as excinfo:
        provisioner.spark_emr_configuration()
    assert not is_transient(excinfo.value)
    assert excinfo.value.message.startswith(message)


@pytest.mark.parametrize("service", ["emr", "s3"])
def test_clients_give_up_on_a_silent_aws_within_seconds(service: str) -> None:
    """botocore's 60 s defaults would hold a cluster's row lock (and a user) for minutes."""
    config = provisioners.client(service).meta.config
    assert (config.connect_timeout, config.read_timeout) == (5, 20)
    assert (provisioners.AWS_CONNECT_TIMEOUT, provisioners.AWS_READ_TIMEOUT) == (5, 20)
    if service == "s3":
        assert config.signature_version == "s3v4"


def test_job_flow_params_for_a_single_node(provisioner: ExampleProvisioner, aws: AWSStubs) -> None:
    aws.add_spark_configuration()
    params = provisioner.job_flow_params("alice", "alice@example.com", "curious-curie-0001", "7.1.0", 1)
    assert params["Name"] == "atmo-test-example-alice-curious-curie-0001"
    assert params["LogUri"].startswith("s3://atmo-logs/examples/curious-curie-0001/")
    assert params["ReleaseLabel"] == "emr-7.1.0"
    assert params["Configurations"] == SPARK_CONFIGURATION
    assert params["Instances"]["InstanceGroups"] == [
        {
            "Name": "Master",
            "Market": "ON_DEMAND",
            "InstanceRole": "MASTER",
            "InstanceType": "c3.4xlarge",
            "InstanceCount": 1,
        }
    ]
    assert params["Instances"]["KeepJobFlowAliveWhenNoSteps"] is False
    assert params["JobFlowRole"] == "atmo-spark-instance-profile"
    assert params["ServiceRole"] == "EMR_DefaultRole"
    assert params["Applications"] == [{"Name": "Spark"}, {"Name": "Hive"}, {"Name": "Zeppelin"}]
    assert params["Tags"] == [
        {"Key": "Owner", "Value": "alice@example.com"},
        {"Key": "Name", "Value": "curious-curie-0001"},
        {"Key": "Environment", "Value": "test"},
        {"Key": "Application", "Value": "atmo-worker-instance"},
        {"Key": "App", "Value": "atmo"},
        {"Key": "Type", "Value": "worker"},
    ]
    assert params["VisibleToAllUsers"] is True


def test_core_nodes_use_spot_with_the_live_bid(
    provisioner: ExampleProvisioner, aws: AWSStubs, live_setting: Any
) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=True, AWS_SPOT_BID_CORE=0.5)
    aws.add_spark_configuration()
    params = provisioner.job_flow_params("alice", "alice@example.com", "x", "7.1.0", 5)
    assert params["Instances"]["InstanceGroups"][1] == {
        "Name": "Worker Instances",
        "Market": "SPOT",
        "BidPrice": "0.5",
        "InstanceRole": "CORE",
        "InstanceType": "c3.4xlarge",
        "InstanceCount": 5,
    }


def test_core_nodes_are_on_demand_when_spot_is_off(
    provisioner: ExampleProvisioner, aws: AWSStubs, live_setting: Any
) -> None:
    live_setting(AWS_USE_SPOT_INSTANCES=False)
    aws.add_spark_configuration()
    core = provisioner.job_flow_params("a", "a@example.com", "x", "7.1.0", 3)["Instances"]["InstanceGroups"][
        1
    ]
    assert core["Market"] == "ON_DEMAND"
    assert "BidPrice" not in core


def test_throttling_is_recognised() -> None:
    assert is_throttling(AWSError("slow down", code="ThrottlingException"))
    assert not is_throttling(AWSError("nope", code="AccessDeniedException"))
    assert not is_throttling(ValueError("x"))


class TestDescribeAWSFailure:
    def test_throttling_says_aws_is_busy_and_to_try_again_soon(self) -> None:
        failure = describe_aws_failure(
            AWSThrottled("Rate exceeded", code="ThrottlingException"), "The cluster could not be terminated"
        )
        assert failure.sentence == (
            "The cluster could not be terminated: AWS is busy and asked us to slow down (Rate exceeded)."
        )
        assert failure.advice == "Please try again in a minute."

    def test_no_connection_gives_botocores_words_once(self) -> None:
        error = AWSUnreachable("AWS could not be reached: Connect timeout on endpoint URL: x.")
        failure = describe_aws_failure(error, "The run could not be started")
        assert str(failure) == (
            "The run could not be started: AWS could not be reached (Connect timeout on endpoint URL: x). "
            "Please try again in a minute."
        )

    def test_a_refusal_gives_aws_words_and_asks_to_tell_the_team(self) -> None:
        error = AWSError("Access Denied.", code="AccessDenied")
        failure = describe_aws_failure(error, "The notebook could not be stored", "Nothing was saved.")
        assert str(failure) == (
            "The notebook could not be stored: AWS refused (Access Denied). Nothing was saved. "
            "Please try again, and tell the ATMO team if it keeps failing."
        )

    def test_an_error_of_ours_about_aws_is_not_called_a_refusal(self) -> None:
        error = AWSError("The Spark EMR configuration in S3 is not valid JSON.")
        failure = describe_aws_failure(error, "The run could not be started", advice="")
        assert (
            str(failure)
            == "The run could not be started: The Spark EMR configuration in S3 is not valid JSON."
        )

    def test_a_throttling_code_counts_whatever_the_class(self) -> None:
        error = AWSError("Slow down", code="SlowDown")
        assert (
            describe_aws_failure(error, "X").sentence
            == "X: AWS is busy and asked us to slow down (Slow down)."
        )
