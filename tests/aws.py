"""The AWS seam in tests: botocore Stubbers behind ``atmo.provisioners.client``."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import boto3
from botocore.exceptions import EndpointConnectionError
from botocore.response import StreamingBody
from botocore.stub import Stubber

SPARK_CONFIGURATION = [{"Classification": "spark", "Properties": {"maximizeResourceAllocation": "true"}}]


class AWSStubs:
    """One stubbed client per service; every client ATMO makes is one of these."""

    def __init__(self) -> None:
        self.clients = {service: boto3.client(service, region_name="us-west-2") for service in ("emr", "s3")}
        self.stubbers = {service: Stubber(client) for service, client in self.clients.items()}
        self.emr = self.stubbers["emr"]
        self.s3 = self.stubbers["s3"]
        #: Every call made, answered or not, as (service, operation), e.g. ("s3", "ListObjectsV2").
        self.calls: list[tuple[str, str]] = []
        for client in self.clients.values():
            # Registered before the Stubber's own check (botocore calls the first of the
            # "first" handlers first), which raises on a call it did not expect.
            client.meta.events.register_first("before-parameter-build.*.*", self._record_call)

    def _record_call(self, event_name: str, context: dict[str, Any], **kwargs: Any) -> None:
        if context.get("is_presign_request"):  # signing a link emits the same event, and calls nothing
            return
        _event, service, operation = event_name.split(".", 2)
        self.calls.append((service, operation))

    def client(self, service: str, *args: Any, **kwargs: Any) -> Any:
        return self.clients[service]

    def add_spark_configuration(self, bucket: str = "atmo-spark-emr") -> None:
        body = json.dumps(SPARK_CONFIGURATION).encode()
        self.s3.add_response(
            "get_object",
            {"Body": StreamingBody(io.BytesIO(body), len(body))},
            {"Bucket": bucket, "Key": "configuration/configuration.json"},
        )

    def assert_no_pending_responses(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@contextmanager
def stubbed_aws() -> Iterator[AWSStubs]:
    stubs = AWSStubs()
    with mock.patch("atmo.provisioners.client", side_effect=stubs.client):
        for stubber in stubs.stubbers.values():
            stubber.activate()
        try:
            yield stubs
        finally:
            for stubber in stubs.stubbers.values():
                stubber.deactivate()


@contextmanager
def unreachable(aws: AWSStubs, service: str, method: str) -> Iterator[None]:
    """Make the client's ``method`` fail as botocore does when the endpoint cannot be reached.

    A Stubber can only answer or refuse; no connection is a botocore error of its own.
    """
    error = EndpointConnectionError(endpoint_url=f"https://{service}.us-west-2.amazonaws.com/")
    with mock.patch.object(aws.clients[service], method, side_effect=error):
        yield
