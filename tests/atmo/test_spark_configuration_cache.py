"""The Spark EMR configuration is read from S3 again only when its ETag changed."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.response import StreamingBody
from django.core.cache import cache

from atmo.jobs import tasks
from atmo.provisioners import Provisioner
from localdev.sweep_counts import aws_calls
from tests.aws import AWSStubs
from tests.jobs.factories import SparkJobFactory

LOCATION = {"Bucket": "atmo-spark-emr", "Key": "configuration/configuration.json"}
FIRST = [{"Classification": "spark", "Properties": {"maximizeResourceAllocation": "true"}}]
CHANGED = [{"Classification": "spark-defaults", "Properties": {"spark.executor.cores": "4"}}]


class ExampleProvisioner(Provisioner):
    log_dir = "examples"
    name_component = "example"


def add_configuration(
    aws: AWSStubs, configurations: Any, etag: str, if_none_match: str | None = None
) -> None:
    """S3 answers the (conditional, with ``if_none_match``) GetObject with the file and its ETag."""
    body = json.dumps(configurations).encode()
    expected = {**LOCATION, **({"IfNoneMatch": if_none_match} if if_none_match else {})}
    response = {"Body": StreamingBody(io.BytesIO(body), len(body)), "ETag": etag}
    aws.s3.add_response("get_object", response, expected)


def add_not_modified(aws: AWSStubs, etag: str) -> None:
    aws.s3.add_client_error(
        "get_object", "304", "Not Modified", 304, expected_params={**LOCATION, "IfNoneMatch": etag}
    )


def test_an_unchanged_configuration_is_not_downloaded_again(aws: AWSStubs) -> None:
    add_configuration(aws, FIRST, '"v1"')
    add_not_modified(aws, '"v1"')

    assert ExampleProvisioner().spark_emr_configuration() == FIRST
    assert ExampleProvisioner().spark_emr_configuration() == FIRST  # from the cache, after a 304


def test_a_changed_configuration_is_read_again(aws: AWSStubs) -> None:
    add_configuration(aws, FIRST, '"v1"')
    add_configuration(aws, CHANGED, '"v2"', if_none_match='"v1"')  # an operator changed the file
    add_not_modified(aws, '"v2"')

    assert ExampleProvisioner().spark_emr_configuration() == FIRST
    assert ExampleProvisioner().spark_emr_configuration() == CHANGED
    assert ExampleProvisioner().spark_emr_configuration() == CHANGED


def test_a_lost_cache_costs_one_full_read(aws: AWSStubs) -> None:
    add_configuration(aws, FIRST, '"v1"')
    add_configuration(aws, FIRST, '"v1"')  # asked without a condition: the cache forgot the ETag

    ExampleProvisioner().spark_emr_configuration()
    cache.clear()
    assert ExampleProvisioner().spark_emr_configuration() == FIRST


def test_an_answer_without_etag_is_not_kept(aws: AWSStubs) -> None:
    aws.add_spark_configuration()  # no ETag
    aws.add_spark_configuration()  # so the next read is a full one

    ExampleProvisioner().spark_emr_configuration()
    ExampleProvisioner().spark_emr_configuration()


@pytest.mark.django_db
def test_a_second_run_job_does_not_download_an_unchanged_configuration(user: Any, aws: AWSStubs) -> None:
    first, second = (SparkJobFactory(created_by=user, identifier=name) for name in ("first", "second"))
    add_configuration(aws, FIRST, '"v1"')
    aws.emr.add_response("run_job_flow", {"JobFlowId": "j-FIRST"}, None)
    add_not_modified(aws, '"v1"')
    aws.emr.add_response("run_job_flow", {"JobFlowId": "j-SECOND"}, None)

    with aws_calls() as calls:
        assert tasks.run_job(first.pk) == "started"
        assert tasks.run_job(second.pk) == "started"

    # Two GetObjects, the second conditional and answered 304 with no body (the stubs
    # check the IfNoneMatch); the stubber fails on a third.
    assert calls == {"GetObject": 2, "RunJobFlow": 2}


@pytest.mark.django_db
def test_a_run_after_the_configuration_changed_reads_the_new_one(user: Any, aws: AWSStubs) -> None:
    first, second = (SparkJobFactory(created_by=user, identifier=name) for name in ("first", "second"))
    add_configuration(aws, FIRST, '"v1"')
    aws.emr.add_response("run_job_flow", {"JobFlowId": "j-FIRST"}, None)
    add_configuration(aws, CHANGED, '"v2"', if_none_match='"v1"')
    sent: list[Any] = []
    aws.clients["emr"].meta.events.register(
        "provide-client-params.emr.RunJobFlow", lambda params, **kwargs: sent.append(params["Configurations"])
    )
    aws.emr.add_response("run_job_flow", {"JobFlowId": "j-SECOND"}, None)

    assert tasks.run_job(first.pk) == "started"
    assert tasks.run_job(second.pk) == "started"

    assert sent == [FIRST, CHANGED]
