from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from atmo.clusters.admin import ClusterAdmin, deactivate
from atmo.clusters.models import Cluster
from atmo.clusters.provisioners import ClusterInfo, ClusterNotFound, ClusterProvisioner
from atmo.provisioners import AWSError
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.clusters.helpers import before_first_query
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db

REFUSED_JOBFLOW = "j-refused"
GONE_JOBFLOW = "j-gone"


@pytest.fixture
def admin_user() -> Any:
    return UserFactory(username="admin@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def emr() -> Iterator[tuple[mock.MagicMock, mock.MagicMock]]:
    """The provisioner's stop and info: EMR accepts every termination but two.

    It throttles the one of ``REFUSED_JOBFLOW`` and no longer knows ``GONE_JOBFLOW``.
    """

    def stop(provisioner: ClusterProvisioner, jobflow_id: str) -> None:
        if jobflow_id == REFUSED_JOBFLOW:
            raise AWSError("Rate exceeded", code="ThrottlingException")
        if jobflow_id == GONE_JOBFLOW:
            raise ClusterNotFound(f"Cluster id '{jobflow_id}' is not valid.", code="InvalidRequestException")

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
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Termination requested: 2 cluster(s)."]


def test_the_deactivate_action_reports_aws_errors_per_cluster(rf: Any, admin_user: Any, emr: Any) -> None:
    refused = ClusterFactory(jobflow_id=REFUSED_JOBFLOW, identifier="refused-one")
    accepted = ClusterFactory(identifier="accepted-one")
    request = rf.post("/")
    request.user = admin_user
    modeladmin = ClusterAdmin(Cluster, site)

    with mock.patch.object(modeladmin, "message_user", autospec=True) as message_user:
        deactivate(modeladmin, request, Cluster.objects.filter(pk__in=[refused.pk, accepted.pk]))

    texts = [call.args[1] for call in message_user.call_args_list]
    assert (
        "Cluster refused-one (j-refused) could not be terminated: AWS is busy and asked us to slow down "
        "(Rate exceeded). Please try again in a minute."
    ) in texts
    assert "Termination requested: 1 cluster(s)." in texts
    refused.refresh_from_db()
    accepted.refresh_from_db()
    assert refused.most_recent_status == Cluster.STATUS_WAITING
    assert accepted.most_recent_status == Cluster.STATUS_TERMINATING


def test_the_deactivate_action_says_what_came_of_each_cluster(
    client_for: Any, admin_user: Any, emr: Any
) -> None:
    running = ClusterFactory.create_batch(2)
    request = ClusterFactory(requested=True)
    vanished = ClusterFactory(jobflow_id=GONE_JOBFLOW)

    response = client_for(admin_user).post(
        reverse("admin:clusters_cluster_changelist"),
        {"action": "deactivate", "_selected_action": [c.pk for c in [*running, request, vanished]]},
    )

    # Only the two EMR accepted count as "termination requested".
    assert sorted(str(m) for m in get_messages(response.wsgi_request)) == [
        "Already gone at AWS, now marked terminated: 1 cluster(s).",
        "Request withdrawn before AWS started it: 1 cluster(s).",
        "Termination requested: 2 cluster(s).",
    ]
    assert {c.pk for c in Cluster.objects.filter(most_recent_status="TERMINATED")} == {
        request.pk,
        vanished.pk,
    }


def staff_with(*codenames: str) -> Any:
    """A staff member (not a superuser) holding these cluster permissions only."""
    staff = UserFactory(username="operator@example.com", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="clusters", codename__in=codenames)
    )
    return staff


def offered_actions(changelist: Any) -> set[str]:
    """The names of the actions the changelist offers (it has no action form without any)."""
    form = changelist.context["action_form"]
    return set(dict(form.fields["action"].choices)) if form else set()


def test_staff_who_may_only_view_clusters_cannot_terminate_them(client_for: Any, emr: Any) -> None:
    stop, _ = emr
    cluster = ClusterFactory()
    client = client_for(staff_with("view_cluster"))
    url = reverse("admin:clusters_cluster_changelist")

    listing = client.get(url)
    response = client.post(url, {"action": "deactivate", "_selected_action": [cluster.pk]})

    assert listing.status_code == 200
    assert "deactivate" not in offered_actions(listing)
    assert response.status_code == 200  # the list again, with "No action selected"
    stop.assert_not_called()
    cluster.refresh_from_db()
    assert cluster.most_recent_status == Cluster.STATUS_WAITING


def test_staff_who_may_change_clusters_can_terminate_them(client_for: Any, emr: Any) -> None:
    stop, _ = emr
    cluster = ClusterFactory()
    client = client_for(staff_with("view_cluster", "change_cluster"))
    url = reverse("admin:clusters_cluster_changelist")

    assert "deactivate" in offered_actions(client.get(url))
    response = client.post(url, {"action": "deactivate", "_selected_action": [cluster.pk]})

    assert response.status_code == 302
    stop.assert_called_once_with(mock.ANY, cluster.jobflow_id)
    cluster.refresh_from_db()
    assert cluster.most_recent_status == Cluster.STATUS_TERMINATING


# --- List filters -----------------------------------------------------------------


@pytest.fixture
def three_clusters() -> dict[str, Cluster]:
    """Clusters that each list filter tells apart: "b" differs from the others in every field."""
    now = timezone.now()
    a = ClusterFactory(identifier="a", size=1, lifetime=8)
    b = ClusterFactory(
        identifier="b",
        size=3,
        lifetime=4,
        terminated=True,
        emr_release=EMRReleaseFactory(version="6.15.0"),
    )
    c = ClusterFactory(identifier="c", size=1, lifetime=8, requested=True)
    Cluster.objects.filter(pk=b.pk).update(created_at=now - timedelta(days=30), expires_at=None)
    return {"a": a, "b": b, "c": c}


#: (list filter, choice in its sidebar, clusters it shows) for each filter of the cluster list.
FILTER_CASES = [
    ("most_recent_status", "Terminated", {"b"}),
    ("size", "3", {"b"}),
    ("lifetime", "4", {"b"}),
    ("emr_release", "6.15.0", {"b"}),
    ("created_at", "Past 7 days", {"a", "c"}),
    ("expires_at", "No date", {"b"}),
    ("started_at", "No date", {"c"}),
    ("ready_at", "Has date", {"a", "b"}),
    ("finished_at", "Has date", {"b"}),
]


@pytest.mark.parametrize("field_path, choice, expected", FILTER_CASES)
def test_each_list_filter_shows_the_matching_clusters(
    client_for: Any,
    admin_user: Any,
    three_clusters: dict[str, Cluster],
    field_path: str,
    choice: str,
    expected: set[str],
) -> None:
    client = client_for(admin_user)
    url = reverse("admin:clusters_cluster_changelist")
    changelist = client.get(url).context["cl"]
    [spec] = [spec for spec in changelist.filter_specs if spec.field_path == field_path]
    [query] = [c["query_string"] for c in spec.choices(changelist) if str(c["display"]) == choice]

    response = client.get(url + query)

    assert response.status_code == 200
    assert {cluster.identifier for cluster in response.context["cl"].result_list} == expected


def test_every_list_filter_has_a_case() -> None:
    assert [case[0] for case in FILTER_CASES] == list(ClusterAdmin.list_filter)


# --- Adding and saving ---------------------------------------------------------------


def test_clusters_cannot_be_added_in_the_admin(client_for: Any, admin_user: Any) -> None:
    client = client_for(admin_user)
    assert client.get(reverse("admin:clusters_cluster_add")).status_code == 403
    assert client.get(reverse("admin:clusters_cluster_changelist")).context["has_add_permission"] is False


def test_saving_the_change_form_keeps_what_provisioning_stored_meanwhile(
    client_for: Any, admin_user: Any
) -> None:
    cluster = ClusterFactory(requested=True, lifetime=8)
    expires_at = timezone.localtime(cluster.expires_at)
    data = {
        "identifier": cluster.identifier,
        "size": cluster.size,
        "lifetime": 12,
        "emr_release": cluster.emr_release_id,
        "ssh_key": cluster.ssh_key_id,
        "expires_at_0": f"{expires_at:%Y-%m-%d}",
        "expires_at_1": f"{expires_at:%H:%M:%S}",
    }

    def provisioned_meanwhile() -> None:
        Cluster.objects.filter(pk=cluster.pk).update(jobflow_id="j-MEANWHILE", most_recent_status="STARTING")

    with before_first_query('UPDATE "clusters_cluster"', provisioned_meanwhile):
        response = client_for(admin_user).post(
            reverse("admin:clusters_cluster_change", args=[cluster.pk]), data
        )

    assert response.status_code == 302, response.context["adminform"].form.errors
    cluster.refresh_from_db()
    assert (cluster.lifetime, cluster.jobflow_id, cluster.most_recent_status) == (
        12,
        "j-MEANWHILE",
        "STARTING",
    )


# --- EMR releases ----------------------------------------------------------------------


def test_the_release_list_shows_and_filters_stability(client_for: Any, admin_user: Any) -> None:
    EMRReleaseFactory(version="7.1.0")
    EMRReleaseFactory(version="7.5.0", is_experimental=True)
    EMRReleaseFactory(version="6.9.0", is_deprecated=True, is_active=False)
    client = client_for(admin_user)
    url = reverse("admin:clusters_emrrelease_changelist")

    listing = client.get(url)

    columns = listing.context["cl"].list_display
    assert {"version", "is_active", "stable", "is_experimental", "is_deprecated"} <= set(columns)
    filters = {spec.title for spec in listing.context["cl"].filter_specs}
    assert {"stability", "is active", "is experimental", "is deprecated"} <= filters
    for stability, expected in [
        ("stable", ["7.1.0"]),
        ("experimental", ["7.5.0"]),
        ("deprecated", ["6.9.0"]),
    ]:
        response = client.get(url, {"stability": stability})
        assert [release.version for release in response.context["cl"].result_list] == expected
    assert [r.version for r in client.get(url, {"is_active__exact": "0"}).context["cl"].result_list] == [
        "6.9.0"
    ]


def test_the_stable_column_sorts_deprecated_releases_with_the_other_unstable_ones(
    client_for: Any, admin_user: Any
) -> None:
    EMRReleaseFactory(version="7.1.0")
    EMRReleaseFactory(version="7.5.0", is_experimental=True)
    EMRReleaseFactory(version="6.9.0", is_deprecated=True)
    client = client_for(admin_user)
    url = reverse("admin:clusters_emrrelease_changelist")
    column = client.get(url).context["cl"].list_display.index("stable")

    def versions(order: str) -> list[str]:
        return [release.version for release in client.get(url, {"o": order}).context["cl"].result_list]

    # Then newest first, the releases' own order.
    assert versions(f"{column}") == ["7.5.0", "6.9.0", "7.1.0"]
    assert versions(f"-{column}") == ["7.1.0", "7.5.0", "6.9.0"]
