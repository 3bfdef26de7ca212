"""RunJobFlow is sent once; when its answer is lost, the job flow is found by its tag and adopted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from atmo import provisioners
from atmo.provisioners import AWSError, AWSUnreachable, Provisioner, client, outcome_unknown
from tests.aws import AWSStubs

NAME = "atmo-test-example-alice-daily"
TAG = {"Key": "ExampleRow", "Value": "7"}
ENDPOINT = "https://elasticmapreduce.us-west-2.amazonaws.com/"


class ExampleProvisioner(Provisioner):
    log_dir = "examples"
    name_component = "example"


@pytest.fixture(autouse=True)
def no_lookup_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provisioners, "LOST_ANSWER_LOOKUP_DELAYS", (0.0, 0.0))


@pytest.fixture
def provisioner(aws: AWSStubs) -> ExampleProvisioner:
    return ExampleProvisioner()


def params() -> dict[str, Any]:
    return {"Name": NAME, "Instances": {}, "Tags": [{"Key": "Owner", "Value": "alice@example.com"}]}


@contextmanager
def run_job_flow_fails(aws: AWSStubs, error: Exception) -> Iterator[mock.Mock]:
    with mock.patch.object(aws.clients["emr"], "run_job_flow", side_effect=error) as run_job_flow:
        yield run_job_flow


def server_error(status: int) -> ClientError:
    response = {
        "Error": {"Code": "InternalFailure", "Message": "oops"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "RunJobFlow")  # type: ignore[arg-type]


def stub_listing(aws: AWSStubs, listed: list[tuple[str, str, dict[str, str]]]) -> None:
    """One ListClusters page of ``(id, name, tag)``; a DescribeCluster for each of our name."""
    aws.emr.add_response(
        "list_clusters",
        {"Clusters": [{"Id": jobflow_id, "Name": name} for jobflow_id, name, _ in listed]},
        None,
    )
    for jobflow_id, name, tag in listed:
        if name == NAME:
            aws.emr.add_response(
                "describe_cluster",
                {"Cluster": {"Id": jobflow_id, "Name": name, "Status": {"State": "STARTING"}, "Tags": [tag]}},
                {"ClusterId": jobflow_id},
            )


def test_the_run_job_flow_client_never_resends_on_its_own() -> None:
    assert client("emr", single_attempt=True).meta.config.retries["total_max_attempts"] == 1
    assert client("emr").meta.config.retries["total_max_attempts"] == 3


@pytest.mark.parametrize(
    ("error", "unknown"),
    [
        (ReadTimeoutError(endpoint_url=ENDPOINT), True),
        (ConnectionClosedError(endpoint_url=ENDPOINT), True),
        (server_error(500), True),
        (server_error(503), True),
        (EndpointConnectionError(endpoint_url=ENDPOINT), False),
        (ConnectTimeoutError(endpoint_url=ENDPOINT), False),
        (server_error(400), False),
    ],
    ids=["read-timeout", "closed", "500", "503", "no-connection", "connect-timeout", "400"],
)
def test_an_outcome_is_unknown_only_when_the_request_may_have_been_acted_on(
    error: Exception, unknown: bool
) -> None:
    assert outcome_unknown(error) is unknown


def test_a_lost_answer_adopts_the_job_flow_carrying_the_tag(
    provisioner: ExampleProvisioner, aws: AWSStubs
) -> None:
    stub_listing(
        aws,
        [
            ("j-OTHER-JOB", "atmo-test-example-alice-weekly", TAG),
            ("j-OTHER-ROW", NAME, {"Key": "ExampleRow", "Value": "6"}),
            ("j-OURS", NAME, TAG),
        ],
    )
    with run_job_flow_fails(aws, ReadTimeoutError(endpoint_url=ENDPOINT)) as run_job_flow:
        assert provisioner.start_job_flow(params(), "daily", TAG) == "j-OURS"
    run_job_flow.assert_called_once()
    assert TAG in run_job_flow.call_args.kwargs["Tags"]


def test_a_lost_answer_looks_again_while_the_listing_catches_up(
    provisioner: ExampleProvisioner, aws: AWSStubs
) -> None:
    stub_listing(aws, [])
    stub_listing(aws, [("j-OURS", NAME, TAG)])
    with run_job_flow_fails(aws, ConnectionClosedError(endpoint_url=ENDPOINT)) as run_job_flow:
        assert provisioner.start_job_flow(params(), "daily", TAG) == "j-OURS"
    run_job_flow.assert_called_once()


def test_a_lost_answer_with_no_job_flow_to_adopt_is_worth_a_later_try_and_is_not_resent(
    provisioner: ExampleProvisioner, aws: AWSStubs
) -> None:
    stub_listing(aws, [])
    stub_listing(aws, [])
    with run_job_flow_fails(aws, server_error(500)) as run_job_flow, pytest.raises(AWSUnreachable):
        provisioner.start_job_flow(params(), "daily", TAG)
    run_job_flow.assert_called_once()


@pytest.mark.parametrize(
    "error",
    [EndpointConnectionError(endpoint_url=ENDPOINT), server_error(400)],
    ids=["no-connection", "refused"],
)
def test_a_request_that_did_nothing_is_not_looked_for(
    provisioner: ExampleProvisioner, aws: AWSStubs, error: Exception
) -> None:
    with run_job_flow_fails(aws, error), pytest.raises(AWSError):
        provisioner.start_job_flow(params(), "daily", TAG)
    # The aws fixture fails the test on any ListClusters it did not expect.


def test_without_a_tag_a_lost_answer_cannot_be_adopted(
    provisioner: ExampleProvisioner, aws: AWSStubs
) -> None:
    with run_job_flow_fails(aws, ReadTimeoutError(endpoint_url=ENDPOINT)), pytest.raises(AWSUnreachable):
        provisioner.start_job_flow(params(), "daily", None)
