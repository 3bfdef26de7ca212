"""An empty POST to a form shows the form again with what is required, and saves nothing.

The original portal did so; ``data=request.POST or None`` once turned an empty
POST into an unbound form, shown back without a word.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.hostile.conftest import World, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_owner(client_for: Any, world: World) -> Any:
    """The test client, logged in as the owner (before any snapshot: logging in is a change)."""
    return client_for(world.owner)


def field_errors(response: Any) -> dict[str, list[str]]:
    form = response.context["form"]
    assert form.is_bound
    return {name: list(errors) for name, errors in form.errors.items()}


def test_an_empty_post_to_the_new_cluster_form_says_what_is_required(
    as_owner: Any, world: World, aws: Any
) -> None:
    before = snapshot()
    response = as_owner.post(reverse("clusters-new"), {})
    assert response.status_code == 200
    assert field_errors(response) == {
        "identifier": ["Give the cluster a name."],
        "size": ["This field is required."],
        "lifetime": ["This field is required."],
        "ssh_key": ["This field is required."],
        "emr_release": ["Choose an EMR release."],
    }
    assert 'class="invalid-feedback' in response.content.decode()
    assert snapshot() == before


def test_an_empty_post_to_the_extend_form_says_what_is_required(
    as_owner: Any, world: World, aws: Any
) -> None:
    before = snapshot()
    response = as_owner.post(reverse("clusters-extend", args=[world.cluster.pk]), {})
    assert response.status_code == 200
    assert field_errors(response) == {"extension": ["This field is required."]}
    assert snapshot() == before


def test_an_empty_post_to_the_new_job_form_says_what_is_required(
    as_owner: Any, world: World, aws: Any
) -> None:
    before = snapshot()
    response = as_owner.post(reverse("jobs-new"), {})
    assert response.status_code == 200
    errors = field_errors(response)
    assert errors["identifier"] == ["Give the job an identifier."]
    assert errors["description"] == [
        "Describe what the job does, for you and the people who help you debug it."
    ]
    assert errors["notebook"] == ["Choose the notebook the job runs."]
    assert errors["start_date"] == ["Give the date and time of the first run, in UTC as YYYY-MM-DD HH:MM."]
    assert {"result_visibility", "size", "interval_in_hours", "job_timeout", "emr_release"} <= errors.keys()
    assert snapshot() == before


def test_an_empty_post_to_the_edit_job_form_says_what_is_required(
    as_owner: Any, world: World, aws: Any
) -> None:
    before = snapshot()
    response = as_owner.post(reverse("jobs-edit", args=[world.job.pk]), {})
    assert response.status_code == 200
    errors = field_errors(response)
    assert "notebook" not in errors  # the stored notebook stays
    assert {
        "description",
        "result_visibility",
        "size",
        "interval_in_hours",
        "job_timeout",
        "start_date",
    } <= set(errors)
    assert snapshot() == before


def test_an_empty_post_to_the_new_key_form_says_what_is_required(as_owner: Any, world: World) -> None:
    before = snapshot()
    response = as_owner.post(reverse("keys-new"), {})
    assert response.status_code == 200
    assert field_errors(response) == {"key": ["Paste your public key or choose its .pub file."]}
    assert snapshot() == before
