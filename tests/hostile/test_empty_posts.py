"""An empty POST to a form shows the form again with what is required, and saves nothing.

The original portal did so; ``data=request.POST or None`` once turned an empty
POST into an unbound form, shown back without a word.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from atmo.clusters.forms import RELEASE_ERRORS
from atmo.jobs.forms import MESSAGES as JOB_MESSAGES
from atmo.keys.forms import MESSAGES as KEY_MESSAGES
from tests.hostile.conftest import World, snapshot

pytestmark = pytest.mark.django_db

REQUIRED = "This field is required."
#: The fields of a job that have no default: the new and the edit form require them.
JOB_FIELDS = {"description", "result_visibility", "size", "interval_in_hours", "job_timeout", "start_date"}


@pytest.fixture
def as_owner(client_for: Any, world: World) -> Any:
    """The test client, logged in as the owner (before any snapshot: logging in is a change)."""
    return client_for(world.owner)


def errors_of_an_empty_post(client: Any, url: str) -> dict[str, list[str]]:
    """Post nothing to ``url``; the bound form's errors, once sure that nothing changed."""
    before = snapshot()
    response = client.post(url, {})
    assert response.status_code == 200
    assert snapshot() == before
    form = response.context["form"]
    assert form.is_bound
    assert 'class="invalid-feedback' in response.content.decode()
    return {name: list(errors) for name, errors in form.errors.items()}


def test_an_empty_post_to_the_new_cluster_form_says_what_is_required(as_owner: Any, aws: Any) -> None:
    assert errors_of_an_empty_post(as_owner, reverse("clusters-new")) == {
        "identifier": ["Give the cluster a name."],
        "size": [REQUIRED],
        "lifetime": [REQUIRED],
        "idle_timeout": ["Choose after how many idle hours the cluster stops."],
        "ssh_key": [REQUIRED],
        "emr_release": [RELEASE_ERRORS["required"]],
    }


def test_an_empty_post_to_the_extend_form_says_what_is_required(
    as_owner: Any, world: World, aws: Any
) -> None:
    url = reverse("clusters-extend", args=[world.cluster.pk])
    assert errors_of_an_empty_post(as_owner, url) == {"extension": [REQUIRED]}


def test_an_empty_post_to_the_new_job_form_says_what_is_required(as_owner: Any, aws: Any) -> None:
    errors = errors_of_an_empty_post(as_owner, reverse("jobs-new"))
    assert errors["identifier"] == [JOB_MESSAGES["identifier_required"]]
    assert errors["description"] == [JOB_MESSAGES["description_required"]]
    assert errors["notebook"] == [JOB_MESSAGES["notebook_required"]]
    assert errors["start_date"] == [JOB_MESSAGES["start_required"]]
    assert JOB_FIELDS | {"emr_release"} <= errors.keys()


def test_an_empty_post_to_the_edit_job_form_says_what_is_required(
    as_owner: Any, world: World, aws: Any
) -> None:
    errors = errors_of_an_empty_post(as_owner, reverse("jobs-edit", args=[world.job.pk]))
    assert errors.keys() >= JOB_FIELDS
    assert "notebook" not in errors  # the stored notebook stays


def test_an_empty_post_to_the_new_key_form_says_what_is_required(as_owner: Any) -> None:
    assert errors_of_an_empty_post(as_owner, reverse("keys-new")) == {"key": [KEY_MESSAGES["required"]]}
