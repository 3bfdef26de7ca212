"""The ``atmo`` command against the live test server, with a real token."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from atmo_cli import main
from click.testing import CliRunner

from atmo.clusters.models import Cluster
from tests.api.conftest import issue
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.keys.factories import SSHKeyFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def atmo(live_server: Any, user: Any) -> Any:
    env = {"ATMO_URL": live_server.url, "ATMO_TOKEN": issue(user), "ATMO_CONFIG": "/nonexistent"}

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(main.cli, list(args), env=env, catch_exceptions=False)

    return invoke


def test_it_launches_a_cluster_and_waits_until_it_is_ready(atmo: Any, user: Any) -> None:
    EMRReleaseFactory(version="7.1.0")
    SSHKeyFactory(created_by=user)

    def emr_makes_progress(seconds: float) -> None:
        Cluster.objects.update(most_recent_status="WAITING", master_address="ec2-1.example.com")

    with (
        mock.patch.object(main, "sleep", side_effect=emr_makes_progress),
        mock.patch("atmo.api.endpoints.clusters.provision_cluster.delay_on_commit"),
    ):
        result = atmo("clusters", "launch", "--identifier", "from-cli", "--wait", "--json")
    assert result.exit_code == 0, result.output
    assert "REQUESTED" in result.stderr and "WAITING" in result.stderr
    assert json.loads(result.stdout)["state"] == "WAITING"


def test_a_launch_that_fails_exits_1(atmo: Any, user: Any) -> None:
    EMRReleaseFactory(version="7.1.0")
    SSHKeyFactory(created_by=user)

    def emr_refuses(seconds: float) -> None:
        Cluster.objects.update(most_recent_status="TERMINATED_WITH_ERRORS")

    with (
        mock.patch.object(main, "sleep", side_effect=emr_refuses),
        mock.patch("atmo.api.endpoints.clusters.provision_cluster.delay_on_commit"),
    ):
        assert atmo("clusters", "launch", "--wait").exit_code == 1


def test_it_lists_extends_and_terminates(atmo: Any, user: Any) -> None:
    cluster = ClusterFactory(created_by=user, requested=True, identifier="listed")
    listed = json.loads(atmo("clusters", "list", "--json").stdout)
    assert [row["identifier"] for row in listed] == ["listed"]
    assert "now expires at" in atmo("clusters", "extend", str(cluster.pk), "--hours", "4").stdout
    assert "terminated" in atmo("clusters", "terminate", str(cluster.pk)).stdout


def test_a_refusal_prints_the_apis_words_and_exits_2(atmo: Any, user2: Any) -> None:
    theirs = ClusterFactory(created_by=user2)
    result = atmo("clusters", "extend", str(theirs.pk))
    assert result.exit_code == 2
    assert f"There is no cluster with the id {theirs.pk}." in result.output


def test_it_lists_jobs_and_shows_a_run(atmo: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user)
    run = SparkJobRunFactory(spark_job=job, status="TERMINATED_WITH_ERRORS")
    run.alert("STEP_FAILURE", "The notebook raised an error")
    assert job.identifier in atmo("jobs", "list").stdout
    shown = atmo("runs", "show", str(run.pk))
    assert "STEP_FAILURE: The notebook raised an error" in shown.stdout


def test_it_asks_for_its_settings(live_server: Any) -> None:
    result = CliRunner().invoke(
        main.cli, ["clusters", "list"], env={"ATMO_URL": "", "ATMO_TOKEN": "", "ATMO_CONFIG": "/nonexistent"}
    )
    assert result.exit_code == 2 and "ATMO_TOKEN" in result.output
