from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.stub import ANY
from django.utils import timezone

from atmo.clusters.models import Cluster, Deactivation
from atmo.clusters.provisioners import ClusterProvisioner
from atmo.provisioners import AWSError
from atmo.stats.models import Metric
from tests.aws import AWSStubs
from tests.clusters.factories import ClusterFactory
from tests.clusters.helpers import emr_cluster

pytestmark = pytest.mark.django_db


def metrics(key: str) -> list[int]:
    return list(Metric.objects.filter(key=key).values_list("value", flat=True))


def test_a_new_cluster_is_requested_and_expires_after_its_lifetime(user: Any) -> None:
    before = timezone.now()
    cluster = ClusterFactory(created_by=user, requested=True, lifetime=5)
    assert cluster.most_recent_status == Cluster.REQUESTED
    assert cluster.is_active and not cluster.is_ready
    assert before + timedelta(hours=5) <= cluster.expires_at <= timezone.now() + timedelta(hours=5)


def test_provision_starts_the_cluster_once(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(created_by=user, requested=True)
    aws.add_spark_configuration()
    aws.emr.add_response("run_job_flow", {"JobFlowId": "j-NEW"}, {**dict.fromkeys(_run_job_flow_keys(), ANY)})
    cluster.provision()
    assert (cluster.jobflow_id, cluster.most_recent_status) == ("j-NEW", Cluster.STATUS_STARTING)
    assert Metric.objects.get(key="cluster-emr-version").data == {"version": "7.1.0"}
    # A second call (a retried task, a second worker) makes no AWS call at all.
    cluster.provision()
    assert Cluster.objects.get(pk=cluster.pk).jobflow_id == "j-NEW"


def _run_job_flow_keys() -> list[str]:
    return [
        "Name",
        "LogUri",
        "ReleaseLabel",
        "Configurations",
        "Instances",
        "JobFlowRole",
        "ServiceRole",
        "Applications",
        "Tags",
        "VisibleToAllUsers",
        "BootstrapActions",
        "Steps",
    ]


def test_provision_refused_by_aws_marks_the_cluster_failed_with_the_reason(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(created_by=user, requested=True)
    aws.add_spark_configuration()
    aws.emr.add_client_error("run_job_flow", "ValidationException", "Instance type not available.", 400)
    cluster.provision()
    cluster.refresh_from_db()
    assert cluster.is_failed
    assert cluster.status_message == (
        "The cluster could not be started: AWS refused (Instance type not available). "
        "Please try again, and tell the ATMO team if it keeps failing."
    )
    assert cluster.finished_at is not None
    assert cluster.jobflow_id is None


def test_provision_of_a_request_whose_key_was_deleted_fails_without_asking_aws(
    user: Any, aws: AWSStubs
) -> None:
    cluster = ClusterFactory(created_by=user, requested=True)
    cluster.ssh_key.delete()  # ssh_key becomes NULL on the cluster row

    cluster.provision()

    # The stubber has no RunJobFlow queued: asking AWS would have failed the test.
    assert cluster.is_failed
    assert "its SSH key was deleted before it started" in cluster.status_message
    assert cluster.jobflow_id is None


def test_provision_throttled_raises_for_a_retry_and_keeps_the_request(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(created_by=user, requested=True)
    aws.add_spark_configuration()
    aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
    with pytest.raises(AWSError):
        cluster.provision()
    cluster.refresh_from_db()
    assert cluster.most_recent_status == Cluster.REQUESTED


def test_sync_copies_emr_state_and_records_ready_metrics(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="STARTING")
    started = timezone.now() - timedelta(minutes=10)
    ready = started + timedelta(minutes=6, seconds=30)
    aws.emr.add_response(
        "describe_cluster",
        {"Cluster": emr_cluster("j-1", "WAITING", started, ready, public_dns="master.example")},
        {"ClusterId": "j-1"},
    )
    assert cluster.sync() is True
    cluster.refresh_from_db()
    assert (cluster.most_recent_status, cluster.master_address) == ("WAITING", "master.example")
    assert (cluster.started_at, cluster.ready_at, cluster.finished_at) == (started, ready, None)
    assert metrics("cluster-ready") == [1]
    assert metrics("cluster-time-to-ready") == [390]


def test_sync_without_changes_writes_nothing(user: Any) -> None:
    started = timezone.now() - timedelta(minutes=10)
    cluster = ClusterFactory(
        created_by=user, requested=True, jobflow_id="j-1", most_recent_status="WAITING", started_at=started
    )
    modified = cluster.modified_at
    info = ClusterProvisioner.format_list(emr_cluster("j-1", "WAITING", started))
    assert cluster.sync(info) is False
    cluster.refresh_from_db()
    assert cluster.modified_at == modified
    assert not Metric.objects.exists()


def test_instance_hours_count_every_day_of_a_long_cluster(user: Any) -> None:
    """Durations over a day are not truncated to their seconds part (the original bug)."""

    started = timezone.now() - timedelta(days=2)
    cluster = ClusterFactory(
        created_by=user,
        requested=True,
        size=3,
        jobflow_id="j-1",
        most_recent_status="WAITING",
        started_at=started,
    )
    ended = started + timedelta(hours=30, minutes=5)
    info = ClusterProvisioner.format_list(emr_cluster("j-1", "TERMINATED", started, ended=ended))
    cluster.sync(info)
    # 31 started hours on 4 machines (a master and 3 workers).
    assert metrics("cluster-normalized-instance-hours") == [31 * 4]


def test_time_to_ready_over_a_day_is_measured_in_full(user: Any) -> None:
    started = timezone.now() - timedelta(days=3)
    cluster = ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="STARTING")
    ready = started + timedelta(days=1, seconds=10)
    cluster.sync(ClusterProvisioner.format_list(emr_cluster("j-1", "WAITING", started, ready)))
    assert metrics("cluster-time-to-ready") == [86410]


def test_extend_moves_the_expiry_and_rearms_the_mail(user: Any) -> None:
    cluster = ClusterFactory(
        created_by=user, requested=True, most_recent_status="WAITING", expiration_mail_sent=True
    )
    expires = cluster.expires_at
    cluster.extend(3)
    assert cluster.expires_at == expires + timedelta(hours=3)
    assert cluster.lifetime_extension_count == 1
    assert cluster.expiration_mail_sent is False
    assert metrics("cluster-extension") == [1]


def test_deactivate_terminates_at_emr_and_syncs(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="WAITING")
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-1"]})
    aws.emr.add_response(
        "describe_cluster",
        {"Cluster": emr_cluster("j-1", "TERMINATING", reason=("USER_REQUEST", "Terminated by user request"))},
        {"ClusterId": "j-1"},
    )
    assert cluster.deactivate() == Deactivation.TERMINATING
    assert cluster.is_terminating
    # EMR's "by user request" gives way to who asked (see test_termination_reasons).
    assert cluster.status_message == Cluster.TERMINATED_BY_OWNER


def test_deactivating_a_cluster_aws_forgot_marks_it_terminated(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(
        created_by=user, requested=True, jobflow_id="j-GONE", most_recent_status="WAITING"
    )
    aws.emr.add_client_error(
        "terminate_job_flows", "InvalidRequestException", "Cluster id 'j-GONE' is not valid.", 400
    )
    assert cluster.deactivate() == Deactivation.GONE
    cluster.refresh_from_db()
    assert cluster.is_terminated
    assert cluster.status_message == Cluster.GONE_MESSAGE


def test_querysets_filter_by_state(user: Any) -> None:
    for status in ["REQUESTED", "WAITING", "TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"]:
        ClusterFactory(
            created_by=user,
            requested=True,
            identifier=status.lower().replace("_", "-"),
            most_recent_status=status,
        )
    assert Cluster.objects.active().count() == 3
    assert Cluster.objects.terminated().get().most_recent_status == "TERMINATED"
    assert Cluster.objects.failed().get().most_recent_status == "TERMINATED_WITH_ERRORS"


def test_timeline_says_how_long_each_step_took(user: Any) -> None:
    cluster = ClusterFactory(created_by=user, requested=True)
    cluster.started_at = cluster.created_at + timedelta(seconds=20)
    cluster.ready_at = cluster.started_at + timedelta(minutes=7)
    steps = {label: took for label, _, took in cluster.timeline}
    assert steps == {
        "Requested": None,
        "Started": timedelta(seconds=20),
        "Ready": timedelta(minutes=7),
        "Finished": None,
    }


def test_owner_gets_object_permissions_and_others_none(user: Any, user2: Any) -> None:
    cluster = ClusterFactory(created_by=user, requested=True)
    assert user.has_perm("clusters.view_cluster", cluster)
    assert user.has_perm("clusters.change_cluster", cluster)
    assert user.has_perm("clusters.delete_cluster", cluster)
    assert not user2.has_perm("clusters.view_cluster", cluster)


def test_instance_count_matches_what_emr_runs(user: Any) -> None:
    assert ClusterFactory(created_by=user, requested=True, size=1).instance_count == 1
    assert ClusterFactory(created_by=user, requested=True, size=5).instance_count == 6


@pytest.mark.parametrize(
    ("state", "extensions", "expected"),
    [
        ("WAITING", 0, "8 hours, extendable"),
        ("WAITING", 1, "8 hours + 4 hours (1 extension), extendable again"),
        ("TERMINATING", 0, "8 hours"),
        ("TERMINATED", 2, "8 hours + 4 hours (2 extensions)"),
        ("TERMINATED_WITH_ERRORS", 0, "8 hours"),
    ],
)
def test_the_lifetime_reads_in_words_and_is_extendable_only_while_running(
    state: str, extensions: int, expected: str
) -> None:
    created = timezone.now()
    cluster = Cluster(
        identifier="c",
        lifetime=8,
        created_at=created,
        expires_at=created + timedelta(hours=8 + (4 if extensions else 0)),
        lifetime_extension_count=extensions,
        most_recent_status=state,
    )

    assert cluster.lifetime_display == expected


def test_extensions_of_unknown_length_are_counted_only() -> None:
    created = timezone.now()
    cluster = Cluster(
        lifetime=8,
        created_at=created,
        expires_at=created + timedelta(hours=8),
        lifetime_extension_count=1,
        most_recent_status="TERMINATED",
    )

    assert cluster.lifetime_display == "8 hours (1 extension)"
