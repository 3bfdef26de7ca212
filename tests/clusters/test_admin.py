from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.contrib.admin.sites import site
from django.contrib.messages import get_messages
from django.urls import reverse

from atmo.clusters.admin import ClusterAdmin, deactivate
from atmo.clusters.models import Cluster
from atmo.clusters.provisioners import ClusterInfo, ClusterProvisioner
from atmo.provisioners import AWSError
from tests.clusters.factories import ClusterFactory, UserFactory

pytestmark = pytest.mark.django_db

REFUSED_JOBFLOW = "j-refused"


@pytest.fixture
def admin_user() -> Any:
    return UserFactory(username="admin@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def emr() -> Iterator[tuple[mock.MagicMock, mock.MagicMock]]:
    """The provisioner's stop and info: EMR accepts every termination but one."""

    def stop(provisioner: ClusterProvisioner, jobflow_id: str) -> None:
        if jobflow_id == REFUSED_JOBFLOW:
            raise AWSError("Rate exceeded", code="ThrottlingException")

    def info(provisioner: ClusterProvisioner, jobflow_id: str) -> ClusterInfo:
        return ClusterInfo(
            jobflow_id=jobflow_id,
            state=Cluster.STATUS_TERMINATING,
            creation_datetime=None,
            ready_datetime=None,
            end_datetime=None,
            state_change_reason_code="USER_REQUEST",
            state_change_reason_message="Terminated by user request",
        )

    with (
        mock.patch.object(ClusterProvisioner, "stop", autospec=True, side_effect=stop) as stop_mock,
        mock.patch.object(ClusterProvisioner, "info", autospec=True, side_effect=info) as info_mock,
    ):
        yield stop_mock, info_mock


def test_the_changelist_loads(client_for: Any, admin_user: Any) -> None:
    ClusterFactory.create_batch(3)
    ClusterFactory(failed=True)
    response = client_for(admin_user).get(reverse("admin:clusters_cluster_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 4


def test_the_changelist_searches_by_owner_email(client_for: Any, admin_user: Any) -> None:
    ClusterFactory(created_by=UserFactory(username="carol@example.com"), identifier="carols")
    ClusterFactory(identifier="someone-elses")
    response = client_for(admin_user).get(reverse("admin:clusters_cluster_changelist"), {"q": "carol@"})
    assert [cluster.identifier for cluster in response.context["cl"].result_list] == ["carols"]


def test_the_change_page_loads_with_the_aws_fields_read_only(client_for: Any, admin_user: Any) -> None:
    cluster = ClusterFactory()
    response = client_for(admin_user).get(reverse("admin:clusters_cluster_change", args=[cluster.pk]))
    assert response.status_code == 200
    form_fields = response.context["adminform"].form.fields
    assert "jobflow_id" not in form_fields
    assert "created_by" not in form_fields
    assert "lifetime" in form_fields


def test_the_deactivate_action_terminates_the_selected_active_clusters(
    client_for: Any, admin_user: Any, emr: Any
) -> None:
    stop, _ = emr
    active = ClusterFactory.create_batch(2)
    gone = ClusterFactory(terminated=True)

    response = client_for(admin_user).post(
        reverse("admin:clusters_cluster_changelist"),
        {"action": "deactivate", "_selected_action": [cluster.pk for cluster in [*active, gone]]},
    )

    assert response.status_code == 302
    assert sorted(call.args[1] for call in stop.call_args_list) == sorted(c.jobflow_id for c in active)
    for cluster in active:
        cluster.refresh_from_db()
        assert cluster.most_recent_status == Cluster.STATUS_TERMINATING
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Termination requested for 2 cluster(s)."
    ]


def test_the_deactivate_action_reports_aws_errors_per_cluster(rf: Any, admin_user: Any, emr: Any) -> None:
    refused = ClusterFactory(jobflow_id=REFUSED_JOBFLOW, identifier="refused-one")
    accepted = ClusterFactory(identifier="accepted-one")
    request = rf.post("/")
    request.user = admin_user
    modeladmin = ClusterAdmin(Cluster, site)

    with mock.patch.object(modeladmin, "message_user", autospec=True) as message_user:
        deactivate(modeladmin, request, Cluster.objects.filter(pk__in=[refused.pk, accepted.pk]))

    texts = [call.args[1] for call in message_user.call_args_list]
    assert "Cluster refused-one (j-refused) was not terminated: Rate exceeded" in texts
    assert "Termination requested for 1 cluster(s)." in texts
    refused.refresh_from_db()
    accepted.refresh_from_db()
    assert refused.most_recent_status == Cluster.STATUS_WAITING
    assert accepted.most_recent_status == Cluster.STATUS_TERMINATING
