from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.stub import Stubber
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from atmo.clusters.models import Cluster
from atmo.clusters.provisioners import ClusterProvisioner
from atmo.clusters.tasks import provision_cluster
from atmo.decorators import MODIFIED_DATE_HEADER
from tests.aws import AWSStubs, unreachable
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory, SSHKeyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner() -> Any:
    return UserFactory(username="alice@example.com")


@pytest.fixture
def stranger() -> Any:
    return UserFactory(username="mallory@example.com")


@pytest.fixture
def cluster(owner: Any) -> Cluster:
    return ClusterFactory(created_by=owner, identifier="ready-curie")


@pytest.fixture
def emr() -> Iterator[Stubber]:
    """A botocore Stubber on the EMR client every provisioner gets.

    With no queued response, any EMR call fails the test: "no AWS call" is checked
    for free.
    """
    clients = {service: boto3.client(service, region_name="us-west-2") for service in ("emr", "s3")}
    stubber = Stubber(clients["emr"])
    with (
        mock.patch("atmo.provisioners.client", side_effect=lambda service, *a, **kw: clients[service]),
        stubber,
    ):
        yield stubber


@pytest.fixture
def no_aws_stop() -> Iterator[mock.MagicMock]:
    with mock.patch.object(ClusterProvisioner, "stop", autospec=True) as stop:
        yield stop


def describe_response(cluster: Cluster, state: str) -> dict[str, Any]:
    return {
        "Cluster": {
            "Id": cluster.jobflow_id,
            "Name": cluster.identifier,
            "Status": {
                "State": state,
                "StateChangeReason": {"Code": "USER_REQUEST", "Message": "Terminated by user request"},
                "Timeline": {"CreationDateTime": cluster.started_at, "ReadyDateTime": cluster.ready_at},
            },
            "MasterPublicDnsName": cluster.master_address,
        }
    }


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def new_cluster_post(key: Any, release: Any, **overrides: Any) -> dict[str, Any]:
    values = {
        "identifier": "new-curie",
        "size": 2,
        "lifetime": 6,
        "ssh_key": key.pk,
        "emr_release": release.pk,
    }
    values.update(overrides)
    return {f"new-{name}": value for name, value in values.items()}


# --- New cluster ---------------------------------------------------------------


def test_new_cluster_requires_login(client: Any) -> None:
    response = client.get(reverse("clusters-new"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users-login"))


@pytest.mark.parametrize("method", ["get", "post"])
def test_new_cluster_without_an_ssh_key_sends_the_user_to_add_one(
    client_for: Any, owner: Any, method: str
) -> None:
    response = getattr(client_for(owner), method)(reverse("clusters-new"))
    assert response.status_code == 302
    assert response["Location"] == reverse("keys-new")
    assert messages_of(response) == ["You need an SSH key before you can launch a cluster."]
    assert not Cluster.objects.exists()


def test_new_cluster_form_is_prefilled(client_for: Any, owner: Any) -> None:
    SSHKeyFactory(created_by=owner, title="old laptop")
    newest = SSHKeyFactory(created_by=owner, title="new laptop")
    for version in ["5.9.0", "5.11.0"]:
        EMRReleaseFactory(version=version)
    EMRReleaseFactory(version="6.0.0", is_experimental=True)
    EMRReleaseFactory(version="7.0.0", is_active=False)

    response = client_for(owner).get(reverse("clusters-new"))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["size"] == 1
    assert form.initial["lifetime"] == 8
    assert form.initial["ssh_key"] == newest.pk
    # Natural order: 5.11.0 is newer than 5.9.0; experimental releases are not preselected.
    assert form.initial["emr_release"] == "5.11.0"
    assert form.initial["identifier"]
    body = response.content.decode()
    assert f'value="{form.initial["identifier"]}"' in body
    assert 'id="id_new-ssh_key_0" checked' in body
    # Help texts with links render as links, not as escaped markup.
    assert '<a href="https://docs.aws.amazon.com/emr/' in body
    assert '<a href="/keys/new/">' in body


def test_new_cluster_form_shows_each_releases_help_and_changelog(client_for: Any, owner: Any) -> None:
    SSHKeyFactory(created_by=owner)
    EMRReleaseFactory(
        version="6.9.0",
        is_deprecated=True,
        help_text="Kept for jobs that need Spark 3.3 <only>.",
        changelog_url="https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-690-release.html",
    )
    EMRReleaseFactory(version="7.1.0", changelog_url="javascript:alert(1)")

    body = client_for(owner).get(reverse("clusters-new")).content.decode()

    help_id = "id_new-emr_release_1_help"  # 6.9.0 is the second choice
    assert f'id="id_new-emr_release_1" required aria-describedby="{help_id}"' in body
    assert f'<div class="form-text mt-0" id="{help_id}" data-testid="release-help">' in body
    assert "Kept for jobs that need Spark 3.3 &lt;only&gt;." in body
    assert (
        '<a href="https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-690-release.html" '
        'target="_blank" rel="noopener">What is in 6.9.0</a>'
    ) in body
    # Only web addresses become links.
    assert "javascript:" not in body
    assert 'aria-describedby="id_new-emr_release_0_help"' not in body


def test_new_cluster_identifier_does_not_clash_with_an_existing_one(client_for: Any, owner: Any) -> None:
    SSHKeyFactory(created_by=owner)
    ClusterFactory(created_by=owner, identifier="ada-lovelace")
    with mock.patch("atmo.clusters.views.random_scientist", autospec=True, return_value="ada-lovelace"):
        response = client_for(owner).get(reverse("clusters-new"))
    assert response.context["form"].initial["identifier"] == "ada-lovelace-2"


def test_a_valid_post_saves_a_requested_cluster_and_enqueues_provisioning_on_commit(
    client_for: Any, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    key = SSHKeyFactory(created_by=owner)
    release = EMRReleaseFactory(version="7.1.0")

    with mock.patch.object(provision_cluster, "delay", autospec=True) as delay:
        with django_capture_on_commit_callbacks() as callbacks:
            response = client_for(owner).post(reverse("clusters-new"), new_cluster_post(key, release))
            # Nothing is sent to the worker before the row is committed.
            delay.assert_not_called()
        for callback in callbacks:
            callback()

    cluster = Cluster.objects.get()
    delay.assert_called_once_with(cluster.pk)
    assert (cluster.identifier, cluster.size, cluster.lifetime) == ("new-curie", 2, 6)
    assert cluster.most_recent_status == Cluster.REQUESTED
    assert cluster.created_by == owner
    assert cluster.ssh_key == key
    assert response.status_code == 302
    assert response["Location"] == cluster.urls.detail
    assert "new-curie" in messages_of(response)[0]


def test_an_invalid_post_shows_the_errors_and_saves_nothing(client_for: Any, owner: Any) -> None:
    key = SSHKeyFactory(created_by=owner)
    release = EMRReleaseFactory()
    data = new_cluster_post(key, release, identifier="Bad Name", size=0)

    with mock.patch.object(provision_cluster, "delay_on_commit", autospec=True) as delay_on_commit:
        response = client_for(owner).post(reverse("clusters-new"), data)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Use only lowercase letters (a-z), digits and hyphens" in body
    assert "A cluster has at least 1 node." in body
    assert not Cluster.objects.exists()
    delay_on_commit.assert_not_called()


def test_a_post_without_an_emr_release_says_to_choose_one(client_for: Any, owner: Any) -> None:
    key = SSHKeyFactory(created_by=owner)
    data = new_cluster_post(key, EMRReleaseFactory(), emr_release="")

    with mock.patch.object(provision_cluster, "delay_on_commit", autospec=True) as delay_on_commit:
        response = client_for(owner).post(reverse("clusters-new"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["emr_release"] == ["Choose an EMR release."]
    assert (
        '<div class="invalid-feedback d-block" id="id_new-emr_release_error">Choose an EMR release.</div>'
        in (response.content.decode())
    )
    assert not Cluster.objects.exists()
    delay_on_commit.assert_not_called()


def test_an_invalid_post_shows_what_was_posted_not_the_defaults(client_for: Any, owner: Any) -> None:
    """Nothing the user typed or picked is lost: only the field in error needs fixing."""
    older_key = SSHKeyFactory(created_by=owner, title="older")
    SSHKeyFactory(created_by=owner, title="newest")  # what the form would preselect
    EMRReleaseFactory(version="7.1.0")  # the newest stable release, preselected too
    picked_release = EMRReleaseFactory(version="6.9.0", is_deprecated=True)
    data = new_cluster_post(older_key, picked_release, identifier="Bad Name", size=3, lifetime=5)

    with mock.patch.object(provision_cluster, "delay_on_commit", autospec=True):
        response = client_for(owner).post(reverse("clusters-new"), data)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Bad Name"' in body
    assert re.search(r'name="new-size" value="3"', body)
    assert re.search(r'name="new-lifetime" value="5"', body)
    assert re.search(rf'value="{older_key.pk}" id="id_new-ssh_key_\d" checked', body)
    assert re.search(r'value="6.9.0" id="id_new-emr_release_\d" checked', body)
    assert body.count(" checked") == 2


def test_a_post_with_someone_elses_key_is_refused(client_for: Any, owner: Any, stranger: Any) -> None:
    SSHKeyFactory(created_by=owner)
    foreign_key = SSHKeyFactory(created_by=stranger)
    data = new_cluster_post(foreign_key, EMRReleaseFactory())
    with mock.patch.object(provision_cluster, "delay_on_commit", autospec=True):
        response = client_for(owner).post(reverse("clusters-new"), data)
    assert response.status_code == 200
    assert "ssh_key" in response.context["form"].errors
    assert not Cluster.objects.exists()


# --- Access rules on every cluster route -----------------------------------------

CLUSTER_ROUTES = [
    ("get", "clusters-detail"),
    ("head", "clusters-detail"),
    ("get", "clusters-extend"),
    ("post", "clusters-extend"),
    ("get", "clusters-terminate"),
    ("post", "clusters-terminate"),
]


@pytest.mark.parametrize("method, name", CLUSTER_ROUTES)
def test_another_user_is_forbidden_on_every_cluster_route(
    client_for: Any, cluster: Cluster, stranger: Any, emr: Stubber, method: str, name: str
) -> None:
    before = Cluster.objects.values().get(pk=cluster.pk)
    response = getattr(client_for(stranger), method)(
        reverse(name, kwargs={"id": cluster.pk}), {"extend-extension": 4}
    )
    assert response.status_code == 403
    # The stubber has no responses queued: reaching AWS would have failed the test.
    assert Cluster.objects.values().get(pk=cluster.pk) == before


@pytest.mark.parametrize("method, name", CLUSTER_ROUTES)
def test_a_missing_cluster_is_not_found_on_every_route(
    client_for: Any, owner: Any, method: str, name: str
) -> None:
    response = getattr(client_for(owner), method)(reverse(name, kwargs={"id": 4242}))
    assert response.status_code == 404


@pytest.mark.parametrize("method, name", CLUSTER_ROUTES)
def test_cluster_routes_require_login(client: Any, cluster: Cluster, method: str, name: str) -> None:
    response = getattr(client, method)(reverse(name, kwargs={"id": cluster.pk}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users-login"))


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
@pytest.mark.parametrize("name", ["clusters-new", "clusters-detail", "clusters-extend", "clusters-terminate"])
def test_cluster_routes_refuse_methods_they_do_not_handle(
    client_for: Any, cluster: Cluster, emr: Stubber, method: str, name: str
) -> None:
    kwargs = {} if name == "clusters-new" else {"id": cluster.pk}
    before = Cluster.objects.values().get(pk=cluster.pk)
    response = getattr(client_for(cluster.created_by), method)(reverse(name, kwargs=kwargs))
    assert response.status_code == 405
    assert Cluster.objects.values().get(pk=cluster.pk) == before


def test_the_cluster_detail_refuses_post(client_for: Any, cluster: Cluster) -> None:
    assert client_for(cluster.created_by).post(cluster.urls.detail).status_code == 405


def test_a_superuser_may_open_any_cluster(client_for: Any, cluster: Cluster) -> None:
    admin = UserFactory(username="root@example.com", is_superuser=True, is_staff=True)
    assert client_for(admin).get(cluster.urls.detail).status_code == 200


# --- Detail -------------------------------------------------------------------------


def test_detail_shows_a_ready_cluster_with_its_access_commands(client_for: Any, cluster: Cluster) -> None:
    response = client_for(cluster.created_by).get(cluster.urls.detail)

    assert response.status_code == 200
    body = response.content.decode()
    master = cluster.master_address
    assert "ready-curie" in body
    assert ">Ready</span>" in body
    assert f"<code>ssh hadoop@{master}</code>" in body
    assert f"<code>ssh -L 8888:localhost:8888 hadoop@{master}</code>" in body
    assert f"<code>ssh -L 8890:localhost:8890 hadoop@{master}</code>" in body
    assert 'data-copy-target="#ssh-command"' in body
    # Each copy button copies its own command.
    for command_id, command in [
        ("ssh-command", f"ssh hadoop@{master}"),
        ("jupyter-command", f"ssh -L 8888:localhost:8888 hadoop@{master}"),
        ("zeppelin-command", f"ssh -L 8890:localhost:8890 hadoop@{master}"),
    ]:
        target = re.search(
            rf'id="{command_id}"><code>([^<]*)</code></pre>\s*<button[^>]*data-copy-target="#([^"]+)"', body
        )
        assert target is not None, command_id
        assert target.groups() == (command, command_id)
    assert 'href="http://localhost:8888"' in body
    assert "Automatic shutdown at" in body
    assert f'href="{cluster.urls.terminate}"' in body
    assert f'href="{cluster.urls.extend}"' in body
    assert 'data-live-region="cluster-main"' in body
    assert "js/live-regions.js" in body
    assert 'data-poll-interval="10"' in body


def test_detail_sends_the_modified_date_header(client_for: Any, cluster: Cluster) -> None:
    response = client_for(cluster.created_by).get(cluster.urls.detail)
    assert response[MODIFIED_DATE_HEADER] == cluster.modified_at.isoformat()
    assert f'data-modified-date="{cluster.modified_at.isoformat()}"' in response.content.decode()


def test_detail_of_a_starting_cluster_says_it_updates_by_itself(client_for: Any, owner: Any) -> None:
    cluster = ClusterFactory(created_by=owner, starting=True)
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert "Your cluster is starting; this page updates by itself." in body
    assert "spinner-border" in body
    assert "ssh hadoop@" not in body


def test_detail_of_a_failed_cluster_explains_why_and_offers_no_actions(client_for: Any, owner: Any) -> None:
    cluster = ClusterFactory(created_by=owner, failed=True, status_message="Bootstrap <script> failed")
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert "The cluster failed." in body
    assert "Bootstrap &lt;script&gt; failed" in body
    assert "Automatic shutdown" not in body
    assert f'href="{cluster.urls.terminate}"' not in body
    assert f'href="{cluster.urls.extend}"' not in body
    assert body.count('aria-disabled="true"') == 2


def test_a_cluster_aws_refuses_to_start_shows_the_refusal_on_its_page(
    client_for: Any, owner: Any, aws: AWSStubs
) -> None:
    cluster = ClusterFactory(created_by=owner, requested=True)
    reason = "User: arn:aws:iam::123:user/atmo is not authorized to perform: elasticmapreduce:RunJobFlow"
    aws.add_spark_configuration()
    aws.emr.add_client_error("run_job_flow", "AccessDeniedException", reason, 400)

    with mock.patch.object(provision_cluster, "retry", autospec=True) as retry:
        assert provision_cluster(cluster.pk) is None

    retry.assert_not_called()  # a refusal is not worth retrying
    cluster.refresh_from_db()
    assert cluster.is_failed
    refusal = f"The cluster could not be started: AWS refused ({reason})."
    assert (
        cluster.status_message == f"{refusal} Please try again, and tell the ATMO team if it keeps failing."
    )
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert "The cluster failed." in body
    assert refusal in body


def test_detail_shows_the_timeline_with_durations(client_for: Any, owner: Any) -> None:
    created = timezone.now() - timedelta(days=1, hours=3)
    cluster = ClusterFactory(created_by=owner, terminated=True)
    Cluster.objects.filter(pk=cluster.pk).update(
        created_at=created,
        started_at=created + timedelta(seconds=40),
        ready_at=created + timedelta(minutes=7, seconds=10),
        finished_at=created + timedelta(days=1, hours=2, minutes=7, seconds=10),
    )
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert ">40 s</span>" in body
    assert ">6 min 30 s</span>" in body
    assert ">1 d 2 h</span>" in body


def test_detail_of_a_cluster_whose_key_was_deleted(client_for: Any, cluster: Cluster) -> None:
    cluster.ssh_key.delete()
    body = client_for(cluster.created_by).get(cluster.urls.detail).content.decode()
    assert "deleted key" in body


def test_detail_shows_the_release_badge_help_and_size(client_for: Any, owner: Any) -> None:
    release = EMRReleaseFactory(version="7.2.0", is_experimental=True, help_text="Spark 3.5 preview.")
    cluster = ClusterFactory(created_by=owner, emr_release=release, size=3)
    body = client_for(owner).get(cluster.urls.detail).content.decode()
    assert '7.2.0 <span class="badge text-bg-info">experimental</span>' in body
    assert "Spark 3.5 preview." in body
    assert f'<a href="{release.changelog_url}" target="_blank" rel="noopener">What is in 7.2.0</a>' in body
    assert "3 nodes" in body


# --- Extend ---------------------------------------------------------------------------


def test_extend_shows_the_form(client_for: Any, cluster: Cluster) -> None:
    response = client_for(cluster.created_by).get(cluster.urls.extend)
    assert response.status_code == 200
    assert 'name="extend-extension"' in response.content.decode()


def test_extend_pushes_the_expiry_back(client_for: Any, cluster: Cluster) -> None:
    expires_at = cluster.expires_at
    response = client_for(cluster.created_by).post(cluster.urls.extend, {"extend-extension": 4})

    cluster.refresh_from_db()
    assert cluster.expires_at == expires_at + timedelta(hours=4)
    assert cluster.lifetime_extension_count == 1
    assert response.status_code == 302
    assert response["Location"] == cluster.urls.detail
    assert f"{cluster.expires_at:%Y-%m-%d %H:%M} UTC" in messages_of(response)[0]


def test_extend_with_an_invalid_value_shows_the_error(client_for: Any, cluster: Cluster) -> None:
    response = client_for(cluster.created_by).post(cluster.urls.extend, {"extend-extension": 48})
    assert response.status_code == 200
    assert "Extend by at most 24 hours at a time." in response.content.decode()
    cluster.refresh_from_db()
    assert cluster.lifetime_extension_count == 0


@pytest.mark.parametrize("trait", ["terminated", "failed", "terminating"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cluster_that_is_not_active_cannot_be_extended(
    client_for: Any, owner: Any, trait: str, method: str
) -> None:
    cluster = ClusterFactory(created_by=owner, **{trait: True})
    expires_at = cluster.expires_at

    response = getattr(client_for(owner), method)(cluster.urls.extend, {"extend-extension": 4})

    assert response.status_code == 302
    assert response["Location"] == cluster.urls.detail
    assert messages_of(response) == ["This cluster is not active anymore, so its lifetime can't be extended."]
    cluster.refresh_from_db()
    assert cluster.expires_at == expires_at
    assert cluster.lifetime_extension_count == 0


# --- Terminate -------------------------------------------------------------------------


def test_terminate_asks_for_confirmation(client_for: Any, cluster: Cluster, no_aws_stop: Any) -> None:
    response = client_for(cluster.created_by).get(cluster.urls.terminate)
    assert response.status_code == 200
    assert "Terminate ready-curie now?" in response.content.decode()
    no_aws_stop.assert_not_called()


def test_terminate_asks_emr_and_records_its_answer(client_for: Any, cluster: Cluster, emr: Stubber) -> None:
    emr.add_response("terminate_job_flows", {}, {"JobFlowIds": [cluster.jobflow_id]})
    emr.add_response(
        "describe_cluster", describe_response(cluster, "TERMINATING"), {"ClusterId": cluster.jobflow_id}
    )

    response = client_for(cluster.created_by).post(cluster.urls.terminate)

    emr.assert_no_pending_responses()
    cluster.refresh_from_db()
    assert cluster.most_recent_status == Cluster.STATUS_TERMINATING
    assert response["Location"] == cluster.urls.detail
    assert "is shutting down" in messages_of(response)[0]


@pytest.mark.parametrize("trait", ["terminated", "failed"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_terminating_a_cluster_that_is_already_gone_does_not_call_aws(
    client_for: Any, owner: Any, no_aws_stop: Any, trait: str, method: str
) -> None:
    cluster = ClusterFactory(created_by=owner, **{trait: True})
    response = getattr(client_for(owner), method)(cluster.urls.terminate)
    assert response.status_code == 302
    assert response["Location"] == cluster.urls.detail
    assert "already terminated" in messages_of(response)[0]
    no_aws_stop.assert_not_called()


def test_terminating_a_cluster_that_is_shutting_down_does_not_call_aws(
    client_for: Any, owner: Any, no_aws_stop: Any
) -> None:
    cluster = ClusterFactory(created_by=owner, terminating=True)
    response = client_for(owner).post(cluster.urls.terminate)
    assert "already shutting down" in messages_of(response)[0]
    no_aws_stop.assert_not_called()


def test_terminating_a_cluster_aws_never_started_needs_no_aws(
    client_for: Any, owner: Any, no_aws_stop: Any
) -> None:
    cluster = ClusterFactory(created_by=owner, requested=True)
    response = client_for(owner).post(cluster.urls.terminate)
    cluster.refresh_from_db()
    assert cluster.most_recent_status == Cluster.STATUS_TERMINATED
    assert messages_of(response) == [
        f"Cluster <strong>{cluster.identifier}</strong> is terminated; AWS had not started it yet."
    ]
    no_aws_stop.assert_not_called()


def test_terminate_accepted_by_emr_says_so_when_its_state_cannot_be_read_back(
    client_for: Any, cluster: Cluster, emr: Stubber
) -> None:
    emr.add_response("terminate_job_flows", {}, {"JobFlowIds": [cluster.jobflow_id]})
    emr.add_client_error("describe_cluster", "ThrottlingException", "Rate exceeded", 400)

    response = client_for(cluster.created_by).post(cluster.urls.terminate)

    emr.assert_no_pending_responses()
    [message] = messages_of(response)
    assert message == "Cluster <strong>ready-curie</strong> is shutting down."
    cluster.refresh_from_db()
    assert cluster.most_recent_status == Cluster.STATUS_TERMINATING
    body = client_for(cluster.created_by).get(cluster.urls.detail).content.decode()
    assert "The cluster is shutting down" in body


def test_terminating_a_cluster_aws_no_longer_knows_says_it_was_already_gone(
    client_for: Any, cluster: Cluster, emr: Stubber
) -> None:
    emr.add_client_error(
        "terminate_job_flows",
        service_error_code="InvalidRequestException",
        service_message=f"Cluster id '{cluster.jobflow_id}' is not valid.",
        http_status_code=400,
    )

    response = client_for(cluster.created_by).post(cluster.urls.terminate)

    [message] = messages_of(response)
    assert message == "Cluster <strong>ready-curie</strong> was already gone: AWS no longer knows it."
    assert "shutting down" not in message
    cluster.refresh_from_db()
    assert cluster.is_terminated


@pytest.mark.parametrize(
    "code, aws_message, expected",
    [
        ("ThrottlingException", "Rate exceeded", "AWS is busy and asked us to slow down (Rate exceeded)"),
        (
            "AccessDeniedException",
            "User is not authorized to perform elasticmapreduce:TerminateJobFlows",
            "The cluster could not be terminated: AWS refused (User is not authorized",
        ),
    ],
)
def test_terminate_reports_what_aws_said_and_changes_nothing(
    client_for: Any, cluster: Cluster, emr: Stubber, code: str, aws_message: str, expected: str
) -> None:
    emr.add_client_error(
        "terminate_job_flows", service_error_code=code, service_message=aws_message, http_status_code=400
    )
    before = Cluster.objects.values().get(pk=cluster.pk)

    response = client_for(cluster.created_by).post(cluster.urls.terminate)

    assert response.status_code == 302
    assert response["Location"] == cluster.urls.detail
    [message] = messages_of(response)
    assert expected in message
    assert "try again" in message
    assert Cluster.objects.values().get(pk=cluster.pk) == before


def test_terminate_when_aws_cannot_be_reached_says_so_and_changes_nothing(
    client_for: Any, cluster: Cluster, aws: AWSStubs
) -> None:
    before = Cluster.objects.values().get(pk=cluster.pk)

    with unreachable(aws, "emr", "terminate_job_flows"):
        response = client_for(cluster.created_by).post(cluster.urls.terminate)

    assert response.status_code == 302
    [message] = messages_of(response)
    assert "AWS could not be reached" in message
    assert message.endswith("Nothing was changed. Please try again in a minute.")
    assert Cluster.objects.values().get(pk=cluster.pk) == before


# --- Dashboard header ------------------------------------------------------------------


def test_dashboard_sends_the_newest_modified_date_of_the_listed_clusters(client_for: Any, owner: Any) -> None:
    older = ClusterFactory(created_by=owner)
    newer = ClusterFactory(created_by=owner)
    Cluster.objects.filter(pk=older.pk).update(modified_at=timezone.now() - timedelta(hours=1))
    newer.refresh_from_db()

    response = client_for(owner).get(reverse("dashboard"))

    assert response[MODIFIED_DATE_HEADER] == newer.modified_at.isoformat()


def test_dashboard_without_clusters_sends_no_modified_date(client_for: Any, owner: Any) -> None:
    response = client_for(owner).get(reverse("dashboard"))
    assert MODIFIED_DATE_HEADER not in response
