"""Clusters through the API: the launch form's rules and messages, extend, terminate, filters, pages."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from atmo.clusters.forms import IDENTIFIER_MESSAGE, RELEASE_ERRORS
from atmo.clusters.models import Cluster
from atmo.clusters.views import NO_KEY_MESSAGE, NOT_EXTENDABLE_MESSAGE
from tests.api.conftest import assert_problem
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.keys.factories import SSHKeyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(user: Any) -> Any:
    EMRReleaseFactory(version="7.1.0")
    return SSHKeyFactory(created_by=user)


def test_it_launches_a_cluster_with_the_pages_defaults(api: Any, user: Any, key: Any) -> None:
    with mock.patch(
        "atmo.api.endpoints.clusters.provision_cluster.delay_on_commit", autospec=True
    ) as enqueue:
        response = api.post("/api/v1/clusters/", {"identifier": "my-cluster"}, format="json")
    assert response.status_code == 201, response.content
    cluster = Cluster.objects.get(created_by=user)
    body = response.json()
    assert (body["id"], body["identifier"], body["state"]) == (cluster.pk, "my-cluster", "REQUESTED")
    assert (body["size"], body["lifetime"], body["ssh_key"], body["emr_release"]) == (1, 8, key.pk, "7.1.0")
    assert response["Location"] == body["url"]
    enqueue.assert_called_once_with(cluster.pk)


def test_it_answers_with_the_forms_own_messages_field_by_field(api: Any, key: Any) -> None:
    response = api.post(
        "/api/v1/clusters/", {"identifier": "Not OK!", "size": 0, "emr_release": "1.0"}, format="json"
    )
    body = assert_problem(response, 400)
    assert body["type"].endswith("#validation-error")
    assert body["detail"] == "The request has 3 invalid values."
    assert body["errors"] == [
        {"detail": IDENTIFIER_MESSAGE, "pointer": "#/identifier"},
        {"detail": "A cluster has at least 1 node.", "pointer": "#/size"},
        {"detail": RELEASE_ERRORS["invalid_choice"], "pointer": "#/emr_release"},
    ]
    assert not Cluster.objects.exists()


def test_another_users_key_is_not_offered(api: Any, key: Any, user2: Any) -> None:
    theirs = SSHKeyFactory(created_by=user2)
    body = assert_problem(api.post("/api/v1/clusters/", {"ssh_key": theirs.pk}, format="json"), 400)
    assert [error["pointer"] for error in body["errors"]] == ["#/ssh_key"]


def test_a_user_without_a_key_is_told_to_add_one(api: Any) -> None:
    body = assert_problem(api.post("/api/v1/clusters/", {}, format="json"), 400)
    assert body["errors"] == [{"detail": NO_KEY_MESSAGE, "pointer": "#/ssh_key"}]


def test_it_extends_an_active_cluster(api: Any, user: Any) -> None:
    cluster = ClusterFactory(created_by=user)
    before = cluster.expires_at
    response = api.post(f"/api/v1/clusters/{cluster.pk}/extend/", {"extension": 4}, format="json")
    assert response.status_code == 200
    cluster.refresh_from_db()
    assert (cluster.expires_at - before).total_seconds() == 4 * 3600
    assert response.json()["lifetime_extension_count"] == 1


def test_it_refuses_an_extension_out_of_bounds(api: Any, user: Any) -> None:
    cluster = ClusterFactory(created_by=user)
    body = assert_problem(
        api.post(f"/api/v1/clusters/{cluster.pk}/extend/", {"extension": 99}, format="json"), 400
    )
    assert body["errors"] == [{"detail": "Extend by at most 24 hours at a time.", "pointer": "#/extension"}]


def test_an_ended_cluster_is_not_extended(api: Any, user: Any) -> None:
    cluster = ClusterFactory(created_by=user, terminated=True)
    assert_problem(
        api.post(f"/api/v1/clusters/{cluster.pk}/extend/", {}, format="json"), 409, NOT_EXTENDABLE_MESSAGE
    )


def test_it_terminates_a_cluster_at_emr(api: Any, user: Any, aws: Any) -> None:
    cluster = ClusterFactory(created_by=user, jobflow_id="j-1")
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-1"]})
    aws.emr.add_client_error("describe_cluster", "ThrottlingException", "Rate exceeded")
    response = api.post(f"/api/v1/clusters/{cluster.pk}/terminate/")
    assert response.status_code == 202
    assert response.json() == {
        "outcome": "terminating",
        "detail": f"Cluster {cluster.identifier} is shutting down.",
    }


def test_an_aws_refusal_is_worded_as_on_the_page(api: Any, user: Any, aws: Any) -> None:
    cluster = ClusterFactory(created_by=user, jobflow_id="j-1")
    aws.emr.add_client_error("terminate_job_flows", "AccessDeniedException", "Not allowed")
    body = assert_problem(api.post(f"/api/v1/clusters/{cluster.pk}/terminate/"), 502)
    assert body["detail"] == (
        "The cluster could not be terminated: AWS refused (Not allowed). Nothing was changed. "
        "Please try again, and tell the ATMO team if it keeps failing."
    )


def test_aws_being_busy_is_a_503(api: Any, user: Any, aws: Any) -> None:
    cluster = ClusterFactory(created_by=user, jobflow_id="j-1")
    aws.emr.add_client_error("terminate_job_flows", "ThrottlingException", "Rate exceeded")
    body = assert_problem(api.post(f"/api/v1/clusters/{cluster.pk}/terminate/"), 503)
    assert "AWS is busy" in body["detail"]


def test_it_filters_by_state_and_pages_with_a_cursor(api: Any, user: Any, user2: Any) -> None:
    ready = [ClusterFactory(created_by=user) for _ in range(3)]
    ClusterFactory(created_by=user, terminated=True)
    ClusterFactory(created_by=user2)
    first = api.get("/api/v1/clusters/", {"state": "active", "page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = api.get(first["next"]).json()
    ids = [c["id"] for c in first["results"] + second["results"]]
    assert sorted(ids) == sorted(c.pk for c in ready)
    waiting = api.get("/api/v1/clusters/", {"state": "waiting"}).json()["results"]
    assert len(waiting) == 3
    assert len(api.get("/api/v1/clusters/", {"state": "final"}).json()["results"]) == 1


def test_an_unknown_state_is_a_validation_problem(api: Any) -> None:
    body = assert_problem(api.get("/api/v1/clusters/", {"state": "sleepy"}), 400)
    assert body["errors"][0]["pointer"] == "#/state"


def test_it_lists_the_active_releases_newest_first(api: Any) -> None:
    for version in ("5.9.0", "5.11.0", "6.0.0"):
        EMRReleaseFactory(version=version)
    EMRReleaseFactory(version="4.0.0", is_active=False)
    versions = [release["version"] for release in api.get("/api/v1/emr-releases/").json()]
    assert versions == ["6.0.0", "5.11.0", "5.9.0"]
