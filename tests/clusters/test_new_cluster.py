"""Launching a cluster: the form's defaults, its checks, and the request saved and queued."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from atmo.clusters.models import Cluster
from atmo.clusters.tasks import provision_cluster
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.clusters.pages import checked_values, inputs, messages_of, new_cluster_post
from tests.keys.factories import SSHKeyFactory, openssh_line

pytestmark = pytest.mark.django_db


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
    assert checked_values(body, "new-ssh_key") == [str(newest.pk)]
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

    (radio,) = [attrs for attrs in inputs(body, "new-emr_release") if attrs["value"] == "6.9.0"]
    help_id = "id_new-emr_release_1_help"  # 6.9.0 is the second choice
    assert radio["id"] == "id_new-emr_release_1"
    assert "required" in radio
    assert radio["aria-describedby"] == help_id
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
    assert checked_values(body, "new-ssh_key") == [str(older_key.pk)]
    assert checked_values(body, "new-emr_release") == ["6.9.0"]
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


def test_the_key_picker_shows_title_type_and_sha256_fingerprint(client_for: Any, owner: Any) -> None:
    ed25519_key = SSHKeyFactory(created_by=owner, title="laptop")
    rsa_key = SSHKeyFactory(
        created_by=owner,
        title="desktop",
        key=openssh_line(rsa.generate_private_key(public_exponent=65537, key_size=4096)),
    )
    EMRReleaseFactory(version="7.1.0")

    body = client_for(owner).get(reverse("clusters-new")).content.decode()

    for ssh_key, type_name in [(ed25519_key, "ED25519"), (rsa_key, "RSA 4096")]:
        assert f">{ssh_key.title}</span>" in body
        assert f">{type_name}</span>" in body
        assert ssh_key.fingerprint in body


def test_a_long_key_list_is_a_drop_down_with_type_and_fingerprint(client_for: Any, owner: Any) -> None:
    keys = [SSHKeyFactory(created_by=owner, title=f"key {n}") for n in range(8)]
    EMRReleaseFactory(version="7.1.0")

    body = client_for(owner).get(reverse("clusters-new")).content.decode()

    assert f">key 3 · ED25519 · {keys[3].fingerprint}</option>" in body


def test_the_way_to_a_first_key_is_information_not_an_error(client_for: Any, owner: Any) -> None:
    response = client_for(owner).get(reverse("clusters-new"), follow=True)

    body = response.content.decode()
    assert "alert-info" in body and "You need an SSH key before you can launch a cluster." in body
    assert "alert-danger" not in body


def test_help_texts_stay_muted_and_only_errors_are_red(client_for: Any, owner: Any) -> None:
    SSHKeyFactory(created_by=owner)
    EMRReleaseFactory(version="7.1.0")

    response = client_for(owner).post(reverse("clusters-new"), {"new-identifier": "Not Valid!"})

    body = response.content.decode()
    help_text = "A name for the cluster, shown here and in the AWS console."
    assert re.search(rf'<div class="form-text" id="id_new-identifier_helptext">{help_text}', body)
    errors = re.findall(r'<div class="invalid-feedback d-block" id="id_new-(\w+)_error">(.*?)</div>', body)
    assert (
        "identifier",
        "Use only lowercase letters (a-z), digits and hyphens, at most 100 characters.",
    ) in errors
    assert all(help_text not in message for _, message in errors)
    assert "text-danger" not in body
