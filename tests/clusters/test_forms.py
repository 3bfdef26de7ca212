from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import Group, Permission

from atmo.clusters.forms import ExtendClusterForm, NewClusterForm
from atmo.clusters.models import Cluster
from tests.clusters.factories import EMRReleaseFactory
from tests.keys.factories import SSHKeyFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner() -> Any:
    return UserFactory()


@pytest.fixture
def release() -> Any:
    return EMRReleaseFactory(version="7.1.0")


@pytest.fixture
def key(owner: Any) -> Any:
    return SSHKeyFactory(created_by=owner)


def new_cluster_data(key: Any, release: Any, **overrides: Any) -> dict[str, Any]:
    values = {"identifier": "curious-curie", "size": 1, "lifetime": 8, "idle_timeout": 2, "ssh_key": key.pk}
    values["emr_release"] = release.pk
    values.update(overrides)
    return {f"new-{name}": value for name, value in values.items()}


def grant_maintainer(user: Any, via_group: bool = False) -> Any:
    permission = Permission.objects.get(codename="maintain_cluster", content_type__app_label="clusters")
    if via_group:
        group = Group.objects.create(name="Cluster maintainers")
        group.permissions.add(permission)
        user.groups.add(group)
    else:
        user.user_permissions.add(permission)
    # A fresh instance: Django caches permissions on the user object.
    return type(user).objects.get(pk=user.pk)


def test_a_valid_form_saves_a_requested_cluster_of_the_user(owner: Any, key: Any, release: Any) -> None:
    form = NewClusterForm(owner, new_cluster_data(key, release))
    assert form.is_valid(), form.errors
    cluster = form.save()
    assert cluster.created_by == owner
    assert cluster.ssh_key == key
    assert cluster.emr_release == release
    assert cluster.most_recent_status == Cluster.REQUESTED
    assert cluster.jobflow_id is None


@pytest.mark.parametrize(
    "identifier",
    ["Curious", "curious_curie", "curious curie", "curie!", "é", "a" * 101],
)
def test_identifier_refuses_anything_but_lowercase_digits_and_hyphens(
    owner: Any, key: Any, release: Any, identifier: str
) -> None:
    form = NewClusterForm(owner, new_cluster_data(key, release, identifier=identifier))
    assert form.errors["identifier"] == [
        "Use only lowercase letters (a-z), digits and hyphens, at most 100 characters."
    ]


@pytest.mark.parametrize("identifier", ["a", "curious-curie-42", "a" * 100])
def test_identifier_accepts_lowercase_digits_and_hyphens(
    owner: Any, key: Any, release: Any, identifier: str
) -> None:
    assert NewClusterForm(owner, new_cluster_data(key, release, identifier=identifier)).is_valid()


def test_identifier_tells_the_browser_the_pattern(owner: Any) -> None:
    attrs = NewClusterForm(owner).fields["identifier"].widget.attrs
    assert attrs["pattern"] == r"[a-z0-9\-]{1,100}"
    assert attrs["maxlength"] == 100


def test_identifier_is_required(owner: Any, key: Any, release: Any) -> None:
    form = NewClusterForm(owner, new_cluster_data(key, release, identifier=""))
    assert form.errors["identifier"] == ["Give the cluster a name."]


def test_size_must_be_at_least_one(owner: Any, key: Any, release: Any) -> None:
    form = NewClusterForm(owner, new_cluster_data(key, release, size=0))
    assert form.errors["size"] == ["A cluster has at least 1 node."]


def test_size_is_capped_for_ordinary_users(owner: Any, key: Any, release: Any, settings: Any) -> None:
    settings.AWS_CONFIG = {**settings.AWS_CONFIG, "MAX_CLUSTER_SIZE": 30}
    assert NewClusterForm(owner, new_cluster_data(key, release, size=30)).is_valid()
    form = NewClusterForm(owner, new_cluster_data(key, release, size=31))
    assert form.errors["size"] == ["A cluster has at most 30 nodes."]
    field = form.fields["size"]
    assert field.max_value == 30
    assert field.widget.attrs["max"] == 30
    assert "between 1 and 30" in field.help_text


@pytest.mark.parametrize("via_group", [False, True])
def test_maintainers_have_no_size_maximum(owner: Any, key: Any, release: Any, via_group: bool) -> None:
    maintainer = grant_maintainer(owner, via_group=via_group)
    form = NewClusterForm(maintainer, new_cluster_data(key, release, size=500))
    assert form.is_valid(), form.errors
    field = form.fields["size"]
    assert field.max_value is None
    assert "max" not in field.widget.attrs
    assert "no maximum" in field.help_text


def test_maintainers_still_need_one_node(owner: Any, key: Any, release: Any) -> None:
    maintainer = grant_maintainer(owner)
    form = NewClusterForm(maintainer, new_cluster_data(key, release, size=0))
    assert form.errors["size"] == ["A cluster has at least 1 node."]


@pytest.mark.parametrize(
    "lifetime, error",
    [
        (1, "A cluster lives at least 2 hours."),
        (25, "A cluster lives at most 24 hours; you can extend it later."),
    ],
)
def test_lifetime_is_between_two_hours_and_the_maximum(
    owner: Any, key: Any, release: Any, lifetime: int, error: str
) -> None:
    form = NewClusterForm(owner, new_cluster_data(key, release, lifetime=lifetime))
    assert form.errors["lifetime"] == [error]


@pytest.mark.parametrize("lifetime", [2, 24])
def test_lifetime_limits_are_inclusive(owner: Any, key: Any, release: Any, lifetime: int) -> None:
    assert NewClusterForm(owner, new_cluster_data(key, release, lifetime=lifetime)).is_valid()


def test_lifetime_maximum_follows_the_setting(owner: Any, key: Any, release: Any, settings: Any) -> None:
    settings.AWS_CONFIG = {**settings.AWS_CONFIG, "MAX_CLUSTER_LIFETIME": 12}
    form = NewClusterForm(owner, new_cluster_data(key, release, lifetime=13))
    assert form.errors["lifetime"] == ["A cluster lives at most 12 hours; you can extend it later."]
    assert form.fields["lifetime"].widget.attrs["max"] == 12


def test_ssh_key_choices_are_only_the_users_own_keys(owner: Any, key: Any, release: Any) -> None:
    foreign = SSHKeyFactory(created_by=UserFactory())
    form = NewClusterForm(owner, new_cluster_data(key, release, ssh_key=foreign.pk))
    assert list(form.fields["ssh_key"].queryset) == [key]
    assert "ssh_key" in form.errors


def test_ssh_key_is_required(owner: Any, key: Any, release: Any) -> None:
    form = NewClusterForm(owner, new_cluster_data(key, release, ssh_key=""))
    assert "ssh_key" in form.errors


@pytest.mark.parametrize("count, widget", [(1, forms.RadioSelect), (6, forms.RadioSelect), (7, forms.Select)])
def test_ssh_keys_are_radio_buttons_up_to_six_then_a_select(
    owner: Any, count: int, widget: type[forms.Widget]
) -> None:
    SSHKeyFactory.create_batch(count, created_by=owner)
    field = NewClusterForm(owner).fields["ssh_key"]
    assert type(field.widget) is widget
    assert len(list(field.widget.choices)) == count  # no empty choice


def test_ssh_key_radio_buttons_render_every_key(owner: Any) -> None:
    keys = SSHKeyFactory.create_batch(3, created_by=owner)
    html = str(NewClusterForm(owner)["ssh_key"])
    for key in keys:
        assert f'value="{key.pk}"' in html
    assert "required" in html


def test_release_choices_are_active_releases_newest_first(owner: Any) -> None:
    for version in ["5.9.0", "5.11.0", "6.0.0", "10.0.0"]:
        EMRReleaseFactory(version=version)
    EMRReleaseFactory(version="11.0.0", is_active=False)
    field = NewClusterForm(owner).fields["emr_release"]
    assert [choice.version for choice in field.queryset] == ["10.0.0", "6.0.0", "5.11.0", "5.9.0"]
    assert field.empty_label is None
    assert isinstance(field.widget, forms.RadioSelect)


def test_release_labels_carry_a_badge_when_not_stable(owner: Any) -> None:
    stable = EMRReleaseFactory(version="7.1.0")
    experimental = EMRReleaseFactory(version="7.2.0", is_experimental=True)
    deprecated = EMRReleaseFactory(version="6.0.0", is_deprecated=True)
    field = NewClusterForm(owner).fields["emr_release"]
    assert field.label_from_instance(stable) == "7.1.0"
    assert (
        field.label_from_instance(experimental)
        == '7.2.0 <span class="badge text-bg-info">experimental</span>'
    )
    assert (
        field.label_from_instance(deprecated) == '6.0.0 <span class="badge text-bg-warning">deprecated</span>'
    )
    # Rendered as HTML, not as escaped text.
    assert '<span class="badge text-bg-info">experimental</span>' in str(NewClusterForm(owner)["emr_release"])


def test_an_inactive_release_is_refused(owner: Any, key: Any) -> None:
    retired = EMRReleaseFactory(version="5.0.0", is_active=False)
    form = NewClusterForm(owner, new_cluster_data(key, retired))
    assert "emr_release" in form.errors


def test_the_release_help_text_explains_releases(owner: Any) -> None:
    assert "EMR releases" in NewClusterForm(owner).fields["emr_release"].help_text


def test_ssh_key_help_links_to_the_key_pages(owner: Any) -> None:
    help_text = str(NewClusterForm(owner).fields["ssh_key"].help_text)
    assert 'href="/keys/"' in help_text
    assert 'href="/keys/new/"' in help_text


@pytest.mark.parametrize(
    "extension, error",
    [
        (1, "Extend by at least 2 hours."),
        (25, "Extend by at most 24 hours at a time."),
        ("", "This field is required."),
    ],
)
def test_extension_is_between_two_and_twenty_four_hours(extension: Any, error: str) -> None:
    form = ExtendClusterForm({"extend-extension": extension})
    assert form.errors["extension"] == [error]


@pytest.mark.parametrize("extension", [2, 24])
def test_extension_limits_are_inclusive(extension: int) -> None:
    form = ExtendClusterForm({"extend-extension": extension})
    assert form.is_valid()
    assert form.cleaned_data["extension"] == extension


def test_extension_field_is_labelled_in_hours() -> None:
    field = ExtendClusterForm().fields["extension"]
    assert field.label == "Lifetime extension in hours"
    assert field.initial == 8
