"""Error reports reach Sentry scrubbed, expected outcomes do not, and nothing is sent without a DSN.

Events are captured by a test transport instead of being sent over HTTP.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from django.test import Client
from sentry_sdk.transport import Transport

from atmo.monitoring.errors import init_sentry, scrub_text
from tests.monitoring.processes import ROOT
from tests.monitoring.tasks import refuse, retry_once
from tests.monitoring.urls import SSH_KEY

NOTEBOOK = json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": "SECRET_QUERY = 1"}]})
RELEASE = "atmo@2026.12.0-test"


class CapturingTransport(Transport):
    """Keeps the events instead of sending them."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Any) -> None:
        event = envelope.get_event()
        if event is not None:
            self.events.append(event)


@pytest.fixture
def sentry_events() -> Iterator[list[dict[str, Any]]]:
    transport = CapturingTransport()
    init_sentry(
        "https://public@sentry.example.invalid/1", environment="test", release=RELEASE, transport=transport
    )
    try:
        yield transport.events
    finally:
        sentry_sdk.get_global_scope().set_client(None)  # reporting off again for the other tests


@pytest.fixture
def failing_site(settings: Any) -> Client:
    settings.ROOT_URLCONF = "tests.monitoring.urls"
    return Client(raise_request_exception=False)


def everything(event: dict[str, Any]) -> str:
    return json.dumps(event, default=str)


@pytest.mark.django_db(transaction=True)
def test_an_error_in_a_view_is_reported_with_release_and_environment_and_nothing_secret(
    sentry_events: list[dict[str, Any]], live_server: Any, settings: Any
) -> None:
    settings.ROOT_URLCONF = "tests.monitoring.urls"
    # Through a real server: Sentry reads the URL and headers from the WSGI request.
    request = urllib.request.Request(  # noqa: S310 - the live test server
        f"{live_server.url}/explode/?code=oidc-code-secret&state=oidc-state-secret",
        data=urllib.parse.urlencode({"notebook": NOTEBOOK, "key": SSH_KEY}).encode(),
        headers={
            "Authorization": "Bearer metrics-token-secret",
            "Cookie": "sessionid=session-secret-value; csrftoken=csrf-secret-value",
            "User-Agent": "monitoring-test",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - the live test server
    assert answer.value.code == 500
    [event] = sentry_events
    assert event["release"] == RELEASE
    assert event["environment"] == "test"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert "could not install [Filtered]" in event["exception"]["values"][-1]["value"]
    request_info = event["request"]
    assert request_info["url"].endswith("/explode/")
    assert request_info["headers"]["User-Agent"] == "monitoring-test"
    assert "data" not in request_info and "cookies" not in request_info
    text = everything(event)
    for secret in (
        "AAAAC3NzaC1lZDI1NTE5",
        "deadbeefcafe",
        "AKIAEXAMPLE",
        "session-secret-value",
        "csrf-secret-value",
        "metrics-token-secret",
        "oidc-code-secret",
        "oidc-state-secret",
        "SECRET_QUERY",
    ):
        assert secret not in text, text[max(0, text.find(secret) - 300) : text.find(secret) + 50]


@pytest.mark.django_db
def test_a_failing_task_is_reported_but_not_its_retries_nor_the_failures_it_expects(
    sentry_events: list[dict[str, Any]],
) -> None:
    refuse.apply(args=["expected"])
    retry_once.apply()
    assert sentry_events == []
    refuse.apply(args=["unexpected"])
    [event] = sentry_events
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["release"] == RELEASE


@pytest.mark.django_db
def test_bad_input_is_not_reported(sentry_events: list[dict[str, Any]], failing_site: Client) -> None:
    assert failing_site.get("/no/such/page/").status_code == 404
    assert failing_site.get("/forbid/").status_code == 403
    assert failing_site.get("/", headers={"host": "evil.example.com"}).status_code == 400
    assert sentry_events == []


@pytest.mark.django_db
def test_the_heartbeat_failing_is_not_reported(
    sentry_events: list[dict[str, Any]], client: Any, settings: Any
) -> None:
    settings.ATMO_LIVENESS_CHECKS = ["atmo.monitoring.checks.check_scheduler_beating"]
    assert client.get("/__heartbeat__").status_code == 500
    assert sentry_events == []


def test_logged_errors_are_reported_scrubbed(sentry_events: list[dict[str, Any]]) -> None:
    logging.getLogger("atmo.clusters").error("key refused: %s", SSH_KEY)
    [event] = sentry_events
    assert event["level"] == "error"
    assert "AAAAC3NzaC1lZDI1NTE5" not in everything(event)


def test_notebooks_keys_and_tokens_are_scrubbed_from_any_text() -> None:
    assert scrub_text(f"bad notebook {NOTEBOOK}") == "[Filtered: notebook contents]"
    assert scrub_text(f"key {SSH_KEY} refused") == "key [Filtered] refused"
    assert scrub_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz\n-----END OPENSSH PRIVATE KEY-----") == (
        "[Filtered]"
    )
    assert scrub_text("Authorization: Bearer abc.def") == "Authorization: [Filtered]"
    assert scrub_text("get ?X-Amz-Signature=abc123&x=1") == "get ?X-Amz-Signature=[Filtered]&x=1"


def sentry_options_of_a_process(**environment: str) -> dict[str, Any]:
    """The Sentry client options of a process started with the test settings and ``environment``."""
    code = (
        "import django, json, sentry_sdk; django.setup(); client = sentry_sdk.get_client(); "
        "print(json.dumps({'active': client.is_active(), **{name: client.options.get(name) "
        "for name in ('dsn', 'release', 'environment', 'data_collection')}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "atmo.settings_test", **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout.splitlines()[-1]))


def test_nothing_is_reported_without_a_dsn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    assert sentry_options_of_a_process()["active"] is False


def test_the_settings_turn_reporting_on_with_the_release_and_environment_when_a_dsn_is_set() -> None:
    from atmo.version import get_version

    options = sentry_options_of_a_process(SENTRY_DSN="https://public@sentry.example.invalid/1")
    assert options["active"] is True
    assert options["release"] == f"atmo@{get_version(ROOT)['version']}"
    assert options["environment"] == "test"
    assert options["data_collection"]["user_info"] is False
    assert options["data_collection"]["http_bodies"] == []
