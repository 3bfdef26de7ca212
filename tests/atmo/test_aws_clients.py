"""One boto3 client per kind, settings and process: made once, shared, never across settings or a fork."""

from __future__ import annotations

import os
import threading
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.stub import Stubber
from django.conf import settings
from django.test import override_settings

from atmo import provisioners
from tests.monitoring.test_metrics import Delta


def test_the_same_service_and_settings_share_one_client() -> None:
    assert provisioners.client("s3") is provisioners.client("s3")
    assert provisioners.client("emr", single_attempt=True) is provisioners.client("emr", single_attempt=True)


def test_each_service_and_retry_policy_has_a_client_of_its_own() -> None:
    s3, emr, emr_once = (
        provisioners.client("s3"),
        provisioners.client("emr"),
        provisioners.client("emr", single_attempt=True),
    )
    assert len({id(s3), id(emr), id(emr_once)}) == 3
    assert emr_once.meta.config.retries["total_max_attempts"] == 1
    assert emr.meta.config.retries["total_max_attempts"] == 3


def test_another_region_gets_another_client_and_the_first_one_back_after() -> None:
    first = provisioners.client("emr")
    with override_settings(AWS_CONFIG={**settings.AWS_CONFIG, "AWS_REGION": "eu-central-1"}):
        elsewhere = provisioners.client("emr")
    assert elsewhere is not first
    assert elsewhere.meta.region_name == "eu-central-1"
    assert provisioners.client("emr") is first


def test_another_endpoint_gets_another_client(monkeypatch: pytest.MonkeyPatch) -> None:
    first = provisioners.client("s3")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    local = provisioners.client("s3")
    assert local is not first
    assert local.meta.endpoint_url == "http://127.0.0.1:1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")
    assert provisioners.client("s3").meta.endpoint_url == "http://127.0.0.1:2"


def test_forgetting_the_clients_makes_new_ones() -> None:
    first = provisioners.client("emr")
    provisioners.forget_clients()
    assert provisioners.client("emr") is not first


def test_a_forked_child_makes_its_own_client() -> None:
    """A prefork worker must not share its parent's client (nor its connection pool)."""
    parent = provisioners.client("s3")
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer through the pipe, and leave without pytest's clean-up
        try:
            answer = b"fresh" if provisioners.client("s3") is not parent else b"shared"
        except BaseException:
            answer = b"error"
        os.write(writing, answer)
        os._exit(0)
    os.close(writing)
    _pid, status = os.waitpid(pid, 0)
    answer = os.read(reading, 16)
    os.close(reading)
    assert os.waitstatus_to_exitcode(status) == 0
    assert answer == b"fresh"
    assert provisioners.client("s3") is parent


def test_a_process_of_another_id_never_gets_the_clients_of_this_one() -> None:
    """Should a fork escape the fork hook, the process id in the key still keeps the clients apart."""
    parent = provisioners.client("s3")
    with mock.patch("atmo.provisioners.os.getpid", return_value=os.getpid() + 1):
        assert provisioners.client("s3") is not parent


def test_threads_asking_at_once_make_a_single_client() -> None:
    threads_count = 8
    start = threading.Barrier(threads_count)
    made: list[Any] = []

    def ask() -> None:
        start.wait()
        made.append(provisioners.client("emr"))

    with mock.patch("atmo.provisioners.boto3.client", wraps=boto3.client) as make:
        threads = [threading.Thread(target=ask) for _ in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert make.call_count == 1
    assert len({id(client) for client in made}) == 1


def test_a_call_on_a_shared_client_is_counted_once() -> None:
    emr = provisioners.client("emr")
    assert provisioners.client("emr") is emr
    ok = Delta("atmo_aws_calls_total", service="emr", operation="ListClusters", outcome="ok")
    with Stubber(emr) as stubber:
        stubber.add_response("list_clusters", {"Clusters": []})
        provisioners.client("emr").list_clusters()
    assert ok.moved() == 1
