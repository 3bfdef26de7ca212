from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection
from django.utils import timezone

from atmo import mail as atmo_mail
from atmo.clusters import tasks
from atmo.clusters.models import Cluster
from tests.aws import AWSStubs, unreachable
from tests.clusters.factories import ClusterFactory
from tests.clusters.helpers import add_listing, before_first_query, emr_cluster
from tests.faults import killed_while_mailing, lease_passed

pytestmark = pytest.mark.django_db


def test_update_clusters_with_120_clusters_makes_3_list_calls_and_no_describe(
    user: Any, aws: AWSStubs, django_capture_on_commit_callbacks: Any
) -> None:
    started = timezone.now() - timedelta(minutes=20)
    for n in range(120):
        ClusterFactory(
            created_by=user,
            requested=True,
            identifier=f"c-{n}",
            jobflow_id=f"j-{n}",
            most_recent_status="STARTING",
        )
    calls = add_listing(aws, [emr_cluster(f"j-{n}", "WAITING", started, started) for n in range(120)])
    assert calls == 3

    with (
        mock.patch.object(tasks.update_master_address, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        updated = tasks.update_clusters()

    # The stubber would have failed on any call it was not given (DescribeCluster included).
    assert len(updated) == 120
    assert Cluster.objects.filter(most_recent_status="WAITING").count() == 120
    # ListClusters has no DNS names: one follow-up per newly ready cluster.
    assert delay.call_count == 120


def test_update_clusters_without_active_clusters_asks_aws_nothing(user: Any, aws: AWSStubs) -> None:
    ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="TERMINATED")
    assert tasks.update_clusters() == []


def test_update_clusters_skips_requests_not_yet_at_emr(user: Any, aws: AWSStubs) -> None:
    ClusterFactory(created_by=user, requested=True)  # REQUESTED, no job flow id
    assert tasks.update_clusters() == []


def unknown_to_emr(aws: AWSStubs, jobflow_id: str) -> None:
    aws.emr.add_client_error(
        "describe_cluster",
        "InvalidRequestException",
        f"Cluster id '{jobflow_id}' is not valid.",
        400,
        expected_params={"ClusterId": jobflow_id},
    )


def test_a_cluster_missing_from_the_listing_and_unknown_to_emr_is_marked_terminated(
    user: Any, aws: AWSStubs
) -> None:
    old = ClusterFactory(
        created_by=user, requested=True, identifier="old", jobflow_id="j-old", most_recent_status="WAITING"
    )
    Cluster.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    fresh = ClusterFactory(
        created_by=user,
        requested=True,
        identifier="fresh",
        jobflow_id="j-fresh",
        most_recent_status="STARTING",
    )
    add_listing(aws, [])
    unknown_to_emr(aws, "j-old")  # only the old one is looked up: a fresh one may not be listed yet

    tasks.update_clusters()

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.is_terminated
    assert old.status_message == Cluster.GONE_MESSAGE
    assert "no longer known to EMR" in old.status_message
    assert old.finished_at is not None
    assert fresh.most_recent_status == "STARTING"


def test_a_cluster_missing_from_the_listing_that_emr_still_knows_is_synced_not_ended(
    user: Any, aws: AWSStubs
) -> None:
    late = ClusterFactory(created_by=user, requested=True, jobflow_id="j-late", most_recent_status="STARTING")
    Cluster.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(hours=2))
    add_listing(aws, [])
    started = timezone.now() - timedelta(hours=1)
    aws.emr.add_response(
        "describe_cluster",
        {"Cluster": emr_cluster("j-late", "WAITING", started, started)},
        {"ClusterId": "j-late"},
    )

    with mock.patch.object(tasks.update_master_address, "delay_on_commit", autospec=True):
        assert tasks.update_clusters() == [late.identifier]

    late.refresh_from_db()
    assert late.most_recent_status == "WAITING"


def test_a_failed_lookup_of_a_missing_cluster_leaves_it_for_the_next_sweep(user: Any, aws: AWSStubs) -> None:
    missing = ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="WAITING")
    Cluster.objects.filter(pk=missing.pk).update(created_at=timezone.now() - timedelta(hours=2))
    add_listing(aws, [])
    aws.emr.add_client_error("describe_cluster", "ThrottlingException", "Rate exceeded", 400)

    assert tasks.update_clusters() == []

    missing.refresh_from_db()
    assert missing.most_recent_status == "WAITING"


def test_120_clusters_with_2_unknown_to_emr_cost_3_listings_and_2_lookups(user: Any, aws: AWSStubs) -> None:
    long_ago = timezone.now() - timedelta(hours=2)
    for n in range(120):
        ClusterFactory(
            created_by=user,
            requested=True,
            identifier=f"c-{n}",
            jobflow_id=f"j-{n}",
            most_recent_status="WAITING",
        )
    Cluster.objects.update(created_at=long_ago)
    listed = [emr_cluster(f"j-{n}", "WAITING", long_ago, long_ago) for n in range(120) if n not in (7, 99)]
    assert add_listing(aws, listed) == 3
    unknown_to_emr(aws, "j-7")
    unknown_to_emr(aws, "j-99")

    # The stubber fails on any call it was not given; none it was given is left unmade.
    with mock.patch.object(tasks.update_master_address, "delay_on_commit", autospec=True):
        assert len(tasks.update_clusters()) == 118
    aws.assert_no_pending_responses()

    gone = Cluster.objects.filter(status_message=Cluster.GONE_MESSAGE)
    assert sorted(gone.values_list("jobflow_id", flat=True)) == ["j-7", "j-99"]
    assert all(cluster.is_terminated for cluster in gone)


def test_update_clusters_retries_when_throttled(user: Any, aws: AWSStubs) -> None:
    ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="STARTING")
    aws.emr.add_client_error("list_clusters", "ThrottlingException", "Rate exceeded", 400)
    with (
        mock.patch.object(tasks.update_clusters, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        tasks.update_clusters()
    countdown = retry.call_args.kwargs["countdown"]
    assert 0 <= countdown <= 1  # first retry: full jitter over [0, 1] seconds


def test_update_master_address_stores_the_dns_name(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="WAITING")
    aws.emr.add_response(
        "describe_cluster",
        {"Cluster": emr_cluster("j-1", "WAITING", public_dns="master.example")},
        {"ClusterId": "j-1"},
    )
    assert tasks.update_master_address(cluster.pk) == "master.example"
    cluster.refresh_from_db()
    assert cluster.master_address == "master.example"
    # Known already: no second DescribeCluster unless forced.
    assert tasks.update_master_address(cluster.pk) is None


def test_update_master_address_of_a_vanished_cluster_marks_it_gone(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="WAITING")
    aws.emr.add_client_error(
        "describe_cluster", "InvalidRequestException", "Cluster id 'j-1' is not valid.", 400
    )
    assert tasks.update_master_address(cluster.pk) is None
    cluster.refresh_from_db()
    assert cluster.is_terminated


def test_update_master_address_retries_when_throttled(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(created_by=user, requested=True, jobflow_id="j-1", most_recent_status="WAITING")
    aws.emr.add_client_error("describe_cluster", "ThrottlingException", "Rate exceeded", 400)
    with (
        mock.patch.object(tasks.update_master_address, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        tasks.update_master_address(cluster.pk)
    assert retry.call_args.kwargs["exc"].is_throttling
    assert 0 <= retry.call_args.kwargs["countdown"] <= 1  # first retry: full jitter over [0, 1] seconds
    cluster.refresh_from_db()
    assert (cluster.master_address, cluster.most_recent_status) == ("", "WAITING")


def test_update_master_address_of_a_missing_row_does_nothing(aws: AWSStubs) -> None:
    assert tasks.update_master_address(987654) is None


def test_provision_cluster_task_starts_the_cluster(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(created_by=user, requested=True)
    aws.add_spark_configuration()
    aws.emr.add_response("run_job_flow", {"JobFlowId": "j-42"}, None)
    assert tasks.provision_cluster.apply(args=[cluster.pk]).get() == "j-42"


def test_provision_cluster_task_fails_a_request_whose_key_was_deleted(user: Any, aws: AWSStubs) -> None:
    cluster = ClusterFactory(created_by=user, requested=True)
    cluster.ssh_key.delete()
    assert tasks.provision_cluster.apply(args=[cluster.pk]).get() is None
    cluster.refresh_from_db()
    assert cluster.is_failed
    assert "its SSH key was deleted before it started" in cluster.status_message


@contextmanager
def emr_start_fails(aws: AWSStubs, fault: str) -> Iterator[None]:
    """Starting fails once, transiently: AWS throttles RunJobFlow, or EMR or S3 (for the
    shared Spark configuration, read first) cannot be reached."""
    if fault == "s3-unreachable":
        with unreachable(aws, "s3", "get_object"):
            yield
        return
    aws.add_spark_configuration()
    if fault == "throttled":
        aws.emr.add_client_error("run_job_flow", "ThrottlingException", "Rate exceeded", 400)
        yield
    else:
        with unreachable(aws, "emr", "run_job_flow"):
            yield


@pytest.mark.parametrize("fault", ["throttled", "unreachable", "s3-unreachable"])
def test_provision_cluster_retries_a_transient_failure_then_gives_up_with_a_message(
    user: Any, aws: AWSStubs, fault: str
) -> None:
    cluster = ClusterFactory(created_by=user, requested=True)
    with (
        emr_start_fails(aws, fault),
        mock.patch.object(tasks.provision_cluster, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        tasks.provision_cluster(cluster.pk)
    assert retry.called
    cluster.refresh_from_db()
    # Still a request, not failed: the next attempt may well get through.
    assert cluster.most_recent_status == Cluster.REQUESTED
    assert cluster.status_message == ""

    # The last allowed attempt: the user is told instead of waiting forever.
    tasks.provision_cluster.push_request(retries=tasks.provision_cluster.max_retries)
    try:
        with emr_start_fails(aws, fault):
            tasks.provision_cluster.run(cluster.pk)
    finally:
        tasks.provision_cluster.pop_request()
    cluster.refresh_from_db()
    assert cluster.is_failed
    assert cluster.status_message.startswith("The cluster could not be started however often we tried: AWS ")
    assert (
        "busy" in cluster.status_message
        if fault == "throttled"
        else "could not be reached" in cluster.status_message
    )
    assert cluster.status_message.endswith("Please launch it again.")


def test_deactivate_clusters_terminates_only_expired_active_ones(user: Any, aws: AWSStubs) -> None:
    expired = ClusterFactory(
        created_by=user, requested=True, identifier="expired", jobflow_id="j-1", most_recent_status="WAITING"
    )
    Cluster.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    ClusterFactory(
        created_by=user, requested=True, identifier="alive", jobflow_id="j-2", most_recent_status="WAITING"
    )
    done = ClusterFactory(
        created_by=user, requested=True, identifier="done", jobflow_id="j-3", most_recent_status="TERMINATED"
    )
    Cluster.objects.filter(pk=done.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-1"]})
    aws.emr.add_response(
        "describe_cluster", {"Cluster": emr_cluster("j-1", "TERMINATING")}, {"ClusterId": "j-1"}
    )
    assert tasks.deactivate_clusters() == [["expired", expired.pk, "terminating"]]


def expired(user: Any, **fields: Any) -> Cluster:
    cluster = ClusterFactory(created_by=user, requested=True, **fields)
    Cluster.objects.filter(pk=cluster.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    return cluster


def expect_termination(aws: AWSStubs, jobflow_id: str) -> None:
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": [jobflow_id]})
    aws.emr.add_response(
        "describe_cluster", {"Cluster": emr_cluster(jobflow_id, "TERMINATING")}, {"ClusterId": jobflow_id}
    )


def test_deactivate_clusters_survives_aws_refusing(user: Any, aws: AWSStubs) -> None:
    cluster = expired(user, jobflow_id="j-1", most_recent_status="WAITING")
    aws.emr.add_client_error("terminate_job_flows", "AccessDeniedException", "Not authorized", 403)
    assert tasks.deactivate_clusters() == []
    cluster.refresh_from_db()
    assert cluster.most_recent_status == "WAITING"


def test_two_sweeps_in_a_row_terminate_an_expired_cluster_once(user: Any, aws: AWSStubs) -> None:
    cluster = expired(user, jobflow_id="j-1", most_recent_status="WAITING")
    expect_termination(aws, "j-1")

    assert tasks.deactivate_clusters() == [[cluster.identifier, cluster.pk, "terminating"]]
    # EMR accepted the stop: the next sweep leaves the cluster to the status sync.
    # (The stubber holds no second TerminateJobFlows: sending one fails the test.)
    assert tasks.deactivate_clusters() == []


def test_a_termination_that_did_not_go_through_is_tried_again_by_the_next_sweep(
    user: Any, aws: AWSStubs
) -> None:
    cluster = expired(user, jobflow_id="j-1", most_recent_status="WAITING")
    aws.emr.add_client_error("terminate_job_flows", "ThrottlingException", "Rate exceeded", 400)
    assert tasks.deactivate_clusters() == []

    expect_termination(aws, "j-1")
    assert tasks.deactivate_clusters() == [[cluster.identifier, cluster.pk, "terminating"]]


def test_deactivate_clusters_says_what_came_of_each_cluster(user: Any, aws: AWSStubs) -> None:
    running = expired(user, identifier="running", jobflow_id="j-1", most_recent_status="WAITING")
    request = expired(user, identifier="request")  # EMR never saw it
    vanished = expired(user, identifier="vanished", jobflow_id="j-GONE", most_recent_status="WAITING")
    failing = expired(user, identifier="failing")
    expect_termination(aws, "j-1")
    aws.emr.add_client_error(
        "terminate_job_flows", "InvalidRequestException", "Cluster id 'j-GONE' is not valid.", 400
    )
    state_change = 'UPDATE "clusters_cluster" SET "most_recent_status"'

    def failed_meanwhile() -> None:
        # The provisioning task gives up on "failing" after the sweep read it, at
        # the latest just before the sweep tries to withdraw it.
        Cluster.objects.get(pk=failing.pk).mark_failed("AWS refused to start the cluster: no capacity.")

    with before_first_query(state_change, failed_meanwhile):
        outcomes = {row[0]: row[2] for row in tasks.deactivate_clusters()}

    assert outcomes == {
        "running": "terminating",
        "request": "withdrawn",
        "vanished": "gone",
        "failing": "already-over",
    }
    assert {cluster.pk for cluster in Cluster.objects.active()} == {running.pk}
    request.refresh_from_db()
    vanished.refresh_from_db()
    assert request.status_message == "Terminated because its lifetime was over. AWS had not started it yet."
    assert vanished.status_message == Cluster.GONE_MESSAGE


def expiring(user: Any, minutes: int = 30, **fields: Any) -> Cluster:
    fields.setdefault("identifier", "curious-curie-0001")
    cluster = ClusterFactory(created_by=user, jobflow_id="j-1", **fields)
    Cluster.objects.filter(pk=cluster.pk).update(expires_at=timezone.now() + timedelta(minutes=minutes))
    cluster.refresh_from_db()
    return cluster


def test_expiration_mail_names_the_real_expiry_and_is_sent_once(user: Any) -> None:
    cluster = expiring(user, minutes=30)
    expiring(user, minutes=90, identifier="later")  # outside the hour: no mail yet
    assert tasks.send_expiration_mails() == [cluster.pk]
    assert tasks.send_expiration_mails() == []
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "[ATMO] Cluster curious-curie-0001 is expiring soon"
    assert cluster.expires_at.strftime("%Y-%m-%d %H:%M") + " UTC" in message.body
    assert f"http://localhost:8000/clusters/{cluster.pk}/extend/" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_an_extension_arms_the_mail_again(user: Any) -> None:
    cluster = expiring(user, minutes=30)
    tasks.send_expiration_mails()
    cluster.extend(2)
    assert tasks.send_expiration_mails() == []  # new expiry is more than an hour away
    Cluster.objects.filter(pk=cluster.pk).update(expires_at=timezone.now() + timedelta(minutes=20))
    assert tasks.send_expiration_mails() == [cluster.pk]
    assert len(mail.outbox) == 2


def test_a_worker_running_meanwhile_does_not_send_a_second_mail(user: Any) -> None:
    """The second run starts while the first is sending: the claim keeps it out."""
    cluster = expiring(user)
    real_send = atmo_mail.send_templated_mail
    second_run: list[list[int]] = []

    def send_and_race(*args: Any, **kwargs: Any) -> None:
        second_run.append(tasks.send_expiration_mails())
        real_send(*args, **kwargs)

    with mock.patch.object(atmo_mail, "send_templated_mail", side_effect=send_and_race):
        assert tasks.send_expiration_mails() == [cluster.pk]
    assert second_run == [[]]
    assert len(mail.outbox) == 1


def test_an_extension_between_reading_and_claiming_keeps_the_mail_for_the_new_expiry(user: Any) -> None:
    """The owner extends after the task read the row but before it claimed the mail."""
    cluster = expiring(user, minutes=30)
    claim = 'UPDATE "clusters_cluster" SET "expiration_mail_claimed_at"'

    with before_first_query(claim, lambda: Cluster.objects.get(pk=cluster.pk).extend(2)):
        assert tasks.send_expiration_mails() == []

    # No mail naming the old time, and the new expiry is still armed.
    assert mail.outbox == []
    cluster.refresh_from_db()
    assert cluster.expiration_mail_sent is False
    Cluster.objects.filter(pk=cluster.pk).update(expires_at=timezone.now() + timedelta(minutes=20))
    assert tasks.send_expiration_mails() == [cluster.pk]


def test_a_failed_send_leaves_the_mail_for_the_next_run(user: Any) -> None:
    cluster = expiring(user)
    with (
        mock.patch.object(atmo_mail, "send_templated_mail", side_effect=OSError("smtp down")),
        pytest.raises(tasks.ExpirationMailsNotSent) as excinfo,
    ):
        tasks.send_expiration_mails()
    assert isinstance(excinfo.value.__cause__, OSError)
    assert tasks.send_expiration_mails() == [cluster.pk]


def test_a_failed_send_does_not_hold_up_the_other_owners(user: Any, user2: Any) -> None:
    first = expiring(user, minutes=10, identifier="first")
    second = expiring(user2, minutes=20, identifier="second")
    real_send = atmo_mail.send_templated_mail

    def refuse_alice(*args: Any, **kwargs: Any) -> None:
        if kwargs["to"] == ["alice@example.com"]:
            raise OSError("mailbox unavailable")
        real_send(*args, **kwargs)

    with (
        mock.patch.object(atmo_mail, "send_templated_mail", side_effect=refuse_alice),
        pytest.raises(tasks.ExpirationMailsNotSent) as excinfo,
    ):
        tasks.send_expiration_mails()

    # Alice's failure came first, and Bob was still warned.
    assert [message.to for message in mail.outbox] == [["bob@example.com"]]
    assert f"clusters [{first.pk}] not sent" in str(excinfo.value)
    # Only the failed mail is tried again, by the next run.
    assert tasks.send_expiration_mails() == [first.pk]
    assert [message.to for message in mail.outbox] == [["bob@example.com"], ["alice@example.com"]]
    second.refresh_from_db()
    assert second.expiration_mail_sent


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_mail(user: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs a database that takes concurrent connections (PostgreSQL)")
    expiring(user)
    barrier = threading.Barrier(2)
    results: list[list[int]] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(tasks.send_expiration_mails())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r) for r in results) == [0, 1]
    assert len(mail.outbox) == 1


def test_an_expiration_mail_whose_worker_died_while_sending_is_sent_once_its_lease_is_over(user: Any) -> None:
    cluster = expiring(user)
    with killed_while_mailing():
        tasks.send_expiration_mails()
    assert tasks.send_expiration_mails() == []  # the claim is fresh: its worker might still be sending
    lease_passed(Cluster.objects.all(), "expiration_mail_claimed_at")
    assert tasks.send_expiration_mails() == [cluster.pk]
    assert tasks.send_expiration_mails() == []
    assert len(mail.outbox) == 1
