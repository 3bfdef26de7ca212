"""Clusters and job runs are one concept: a row that mirrors an EMR job flow."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from botocore.stub import ANY
from django.core.management import call_command
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.jobs.models import SparkJobRun
from atmo.models import JobFlowModel
from tests.aws import AWSStubs
from tests.clusters.factories import ClusterFactory
from tests.clusters.helpers import emr_cluster
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory


def test_the_documented_cluster_states_are_the_job_flow_states() -> None:
    assert Cluster.REQUESTED is JobFlowModel.State.REQUESTED
    assert Cluster.STATUS_WAITING is JobFlowModel.State.WAITING
    assert Cluster.STATUS_TERMINATED_WITH_ERRORS == "TERMINATED_WITH_ERRORS"
    assert set(Cluster.ACTIVE_STATUS_LIST) == JobFlowModel.ACTIVE
    assert set(Cluster.FINAL_STATUS_LIST) == JobFlowModel.FINAL
    assert set(Cluster.FAILED_STATE_CHANGE_REASON_LIST) == JobFlowModel.FAILURE_REASONS
    assert Cluster.ACTIVE_STATUS_LIST[0] == "REQUESTED"  # in the order a job flow goes through them


def test_every_state_is_active_or_final() -> None:
    assert set(JobFlowModel.State) == JobFlowModel.ACTIVE | JobFlowModel.FINAL
    assert not JobFlowModel.ACTIVE & JobFlowModel.FINAL


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field"), [(Cluster, "most_recent_status"), (SparkJobRun, "status")])
def test_each_kind_keeps_its_documented_state_column(model: type[JobFlowModel], field: str) -> None:
    assert field == model.STATE_FIELD
    assert model._meta.get_field(field).choices == JobFlowModel.State.choices


@pytest.mark.django_db
def test_the_queries_of_clusters_and_runs_agree_on_states(user: Any) -> None:
    for state in ["RUNNING", "TERMINATED", "TERMINATED_WITH_ERRORS"]:
        ClusterFactory(
            created_by=user,
            requested=True,
            identifier=state.lower(),
            jobflow_id=f"j-{state}",
            most_recent_status=state,
        )
        SparkJobRunFactory(
            spark_job=SparkJobFactory(created_by=user, identifier=state.lower()),
            jobflow_id=f"j-{state}",
            status=state,
        )
    for model in (Cluster, SparkJobRun):
        rows = model.objects  # type: ignore[attr-defined]
        assert {row.state for row in rows.active()} == {"RUNNING"}
        assert {row.state for row in rows.final()} == {"TERMINATED", "TERMINATED_WITH_ERRORS"}
        assert {row.state for row in rows.failed()} == {"TERMINATED_WITH_ERRORS"}
        assert rows.provisioned().count() == 3


@pytest.mark.django_db
def test_one_listing_syncs_clusters_and_runs_alike(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(created_by=user, requested=True, jobflow_id="j-C", most_recent_status="STARTING")
    run = SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), jobflow_id="j-R", status="STARTING")
    started = timezone.now() - timedelta(minutes=10)
    for _ in range(2):
        aws.emr.add_response(
            "list_clusters",
            {"Clusters": [emr_cluster("j-C", "WAITING", started, started), emr_cluster("j-R", "RUNNING")]},
            {"CreatedAfter": ANY},
        )
    assert Cluster.sync_from_listing([cluster]) == [cluster]
    assert SparkJobRun.sync_from_listing([run]) == [run]
    assert (cluster.state, run.state) == ("WAITING", "RUNNING")


@pytest.mark.django_db
def test_a_vanished_cluster_ends_terminated_and_a_vanished_run_failed(user: Any) -> None:
    cluster = ClusterFactory(created_by=user, requested=True, jobflow_id="j-C", most_recent_status="WAITING")
    run = SparkJobRunFactory(spark_job=SparkJobFactory(created_by=user), jobflow_id="j-R", status="RUNNING")
    cluster.mark_gone()
    run.mark_gone()
    cluster.refresh_from_db()
    run.refresh_from_db()
    assert cluster.is_terminated and cluster.finished_at is not None
    assert run.is_failed and run.finished_at is not None
    assert "disappeared" in run.alerts.get().reason_message


@pytest.mark.django_db
@pytest.mark.parametrize(("app", "migration"), [("clusters", "0004"), ("jobs", "0005")])
def test_naming_the_job_flow_changed_no_column(app: str, migration: str) -> None:
    out = StringIO()
    call_command("sqlmigrate", app, migration, stdout=out)
    statements = [line for line in out.getvalue().splitlines() if line and not line.startswith("--")]
    assert statements in (["BEGIN;", "COMMIT;"], [])
