"""Why a cluster ended, as stored, shown on its page, and mailed when an operator stopped it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from atmo.clusters import tasks
from atmo.clusters.models import Cluster
from atmo.provisioners import AWSError
from tests.aws import AWSStubs
from tests.clusters.factories import ClusterFactory
from tests.clusters.helpers import emr_cluster
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db

JOBFLOW_ID = "j-REASON"
#: What EMR says of every termination it was asked for, whoever asked.
EMR_USER_REQUEST = ("USER_REQUEST", "Terminated by user request")


@pytest.fixture
def ready(user: Any) -> Cluster:
    return ClusterFactory(
        created_by=user, requested=True, jobflow_id=JOBFLOW_ID, most_recent_status="WAITING"
    )


def emr_terminates(aws: AWSStubs) -> None:
    """EMR accepts the termination; DescribeCluster then says "by user request"."""
    aws.emr.add_response("terminate_job_flows", {}, {"JobFlowIds": [JOBFLOW_ID]})
    describe_as(aws, "TERMINATING", EMR_USER_REQUEST)


def describe_as(aws: AWSStubs, state: str, reason: tuple[str, str]) -> None:
    ended = timezone.now() if state.startswith("TERMINATED") else None
    aws.emr.add_response(
        "describe_cluster",
        {"Cluster": emr_cluster(JOBFLOW_ID, state, ended=ended, reason=reason)},
        {"ClusterId": JOBFLOW_ID},
    )


def shown_reason(client: Any, cluster: Cluster) -> str:
    return client.get(cluster.urls.detail).content.decode()


def finish_at_emr(aws: AWSStubs, cluster: Cluster) -> Cluster:
    """The next sync, once EMR has finished the termination."""
    describe_as(aws, "TERMINATED", EMR_USER_REQUEST)
    cluster.refresh_from_db()
    cluster.sync()
    cluster.refresh_from_db()
    return cluster


def test_the_owners_termination_reads_terminated_by_its_owner(
    client_for: Any, user: Any, ready: Cluster, aws: AWSStubs
) -> None:
    client = client_for(user)
    emr_terminates(aws)

    client.post(ready.urls.terminate)

    cluster = finish_at_emr(aws, ready)
    assert cluster.is_terminated
    assert cluster.status_message == Cluster.TERMINATED_BY_OWNER == "Terminated by its owner."
    assert "Terminated by its owner." in shown_reason(client, cluster)
    assert "user request" not in shown_reason(client, cluster)
    assert not mail.outbox  # the owner knows: they did it


def test_an_expired_cluster_reads_that_its_lifetime_was_over(
    client_for: Any, user: Any, ready: Cluster, aws: AWSStubs
) -> None:
    Cluster.objects.filter(pk=ready.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    emr_terminates(aws)

    tasks.deactivate_clusters()

    cluster = finish_at_emr(aws, ready)
    assert cluster.status_message == "Terminated because its lifetime was over."
    assert "Terminated because its lifetime was over." in shown_reason(client_for(user), cluster)


def test_an_operators_termination_names_the_operator_and_mails_the_owner(
    client_for: Any, user: Any, ready: Cluster, aws: AWSStubs
) -> None:
    operator = UserFactory(
        username="ops@example.com", first_name="Grace", last_name="Hopper", is_staff=True, is_superuser=True
    )
    emr_terminates(aws)

    response = client_for(operator).post(
        reverse("admin:clusters_cluster_changelist"), {"action": "deactivate", "_selected_action": [ready.pk]}
    )

    assert response.status_code == 302
    cluster = finish_at_emr(aws, ready)
    reason = "Terminated by the operator Grace Hopper."
    assert cluster.status_message == cluster.termination_reason == reason
    assert reason in shown_reason(client_for(user), cluster)
    [message] = mail.outbox
    assert message.to == [user.email]
    assert cluster.identifier in message.subject and "operator" in message.subject
    assert reason in message.body
    html = message.alternatives[0][0]
    assert reason in html


def test_an_operator_without_a_name_is_named_by_username(user: Any, ready: Cluster, aws: AWSStubs) -> None:
    emr_terminates(aws)
    ready.deactivate(Cluster.TERMINATED_BY_OPERATOR.format(operator="ops@example.com"))
    ready.refresh_from_db()
    assert ready.termination_reason == "Terminated by the operator ops@example.com."


def test_an_operators_termination_still_happens_when_the_mail_fails(
    client_for: Any, user: Any, ready: Cluster, aws: AWSStubs, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.clusters.test_termination_reasons.BrokenMailBackend"
    operator = UserFactory(username="ops@example.com", is_staff=True, is_superuser=True)
    emr_terminates(aws)

    response = client_for(operator).post(
        reverse("admin:clusters_cluster_changelist"),
        {"action": "deactivate", "_selected_action": [ready.pk]},
        follow=True,
    )

    ready.refresh_from_db()
    assert ready.is_terminating
    assert f"The owner of {ready.identifier} could not be mailed; tell them." in response.content.decode()


class BrokenMailBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("no mail server")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "BOOTSTRAP_FAILURE",
            "On the master instance (i-0abc), bootstrap action 1 returned a non-zero return code",
        ),
        ("STEP_FAILURE", "Shut down as step failed"),
        ("INSTANCE_FAILURE", "EC2 is out of capacity for the requested instance type m5.xlarge."),
    ],
)
def test_a_cluster_emr_ended_shows_emrs_own_message(
    client_for: Any, user: Any, ready: Cluster, aws: AWSStubs, code: str, message: str
) -> None:
    # Even after the owner asked for a termination, EMR's own failure is what is shown.
    ready.termination_reason = Cluster.TERMINATED_BY_OWNER
    ready.save(update_fields=["termination_reason"])
    describe_as(aws, "TERMINATED_WITH_ERRORS", (code, message))

    ready.sync()

    ready.refresh_from_db()
    assert ready.is_failed
    assert ready.status_message == message
    assert message in shown_reason(client_for(user), ready)


def test_a_cluster_terminated_outside_atmo_keeps_emrs_words(user: Any, ready: Cluster, aws: AWSStubs) -> None:
    # Nobody asked through ATMO: "by user request" is all that is known.
    describe_as(aws, "TERMINATED", EMR_USER_REQUEST)
    ready.sync()
    ready.refresh_from_db()
    assert ready.status_message == "Terminated by user request"


def test_a_refused_termination_records_no_reason(user: Any, ready: Cluster, aws: AWSStubs) -> None:
    aws.emr.add_client_error("terminate_job_flows", "AccessDeniedException", "Not authorized", 403)
    with pytest.raises(AWSError):
        ready.deactivate(Cluster.TERMINATED_AT_EXPIRY)
    ready.refresh_from_db()
    assert ready.termination_reason == ""
