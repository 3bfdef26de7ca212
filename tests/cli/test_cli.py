"""The ``atmo`` command against the live test server, with a real token."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from atmo_cli import main
from click.testing import CliRunner

from atmo.clusters.models import Cluster
from atmo.jobs.models import SparkJobRun
from atmo.jobs.provisioners import SparkJobProvisioner
from tests.api.conftest import issue
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.test_run_now_parameters import PARAMETERS
from tests.jobs.test_run_outcome import FAILED_OUTCOME
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


def test_it_runs_a_job_with_parameters_for_this_run(atmo: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user, parameters=PARAMETERS)
    with mock.patch.object(SparkJobProvisioner, "run", autospec=True, return_value="j-NOW"):
        result = atmo("jobs", "run", str(job.pk), "--param", "limit=25", "--param", "country=FR", "--json")
    assert result.exit_code == 0, result.output
    run = SparkJobRun.objects.get(spark_job=job)
    assert (run.parameters["limit"], run.parameters["country"], run.requested_by) == (25, "FR", user)
    assert json.loads(result.stdout)["parameters"] == run.parameters


def test_a_bad_parameter_prints_the_forms_words(atmo: Any, user: Any) -> None:
    job = SparkJobFactory(created_by=user, parameters=PARAMETERS)
    result = atmo("jobs", "run", str(job.pk), "--param", "limit=many")
    assert result.exit_code == 2
    assert "parameters/limit: “many” is not a whole number." in result.output
    assert atmo("jobs", "run", str(job.pk), "--param", "limit").exit_code == 2
    assert not SparkJobRun.objects.exists()


def test_run_show_prints_the_failure_and_the_output_links(atmo: Any, user: Any) -> None:
    run = SparkJobRunFactory(
        spark_job=SparkJobFactory(created_by=user),
        status="TERMINATED_WITH_ERRORS",
        parameters={"limit": 25},
        outcome=FAILED_OUTCOME,
    )
    shown = atmo("runs", "show", str(run.pk)).stdout
    assert "Cell 3 failed: ZeroDivisionError: division by zero" in shown
    assert "  | total = 1 / 0" in shown and "  limit = 25" in shown
    assert "Run page: http://localhost:" in shown and f"/jobs/{run.spark_job_id}/runs/{run.pk}/" in shown
    assert "Log (log.txt): https://" in shown and f"/daily-report/runs/{run.pk}/counts.csv?" in shown
    assert "Attempt 1 (scheduled); outcome: failed" in shown
    listed = json.loads(atmo("runs", "list", str(run.spark_job_id), "--json").stdout)
    assert [(row["id"], row["outcome"]) for row in listed] == [(run.pk, "failed")]


def test_it_asks_for_its_settings(live_server: Any) -> None:
    result = CliRunner().invoke(
        main.cli, ["clusters", "list"], env={"ATMO_URL": "", "ATMO_TOKEN": "", "ATMO_CONFIG": "/nonexistent"}
    )
    assert result.exit_code == 2 and "ATMO_TOKEN" in result.output
