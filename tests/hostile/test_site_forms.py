"""Every field of every form of the site, one hostile value at a time, the rest of the form valid.

Each value must be refused: the form comes back (200) with a message on that
field, no row changed, and AWS was not called (nothing is queued on the stubs).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.hostile.conftest import World, is_server_error, snapshot
from tests.hostile.corpus import BAD_DATES, BAD_IDENTIFIERS, BAD_IDS, BAD_NUMBERS, BAD_TEXT
from tests.jobs.conftest import notebook_upload
from tests.jobs.pages import FORMAT, edit_post, new_post

pytestmark = pytest.mark.django_db

#: Request body builders: the form's valid post, with one field replaced.
PostBuilder = Callable[[World, str, str], dict[str, Any]]


def new_cluster_post(world: World, field: str, value: str) -> dict[str, Any]:
    values = {
        "identifier": "new-curie",
        "size": "2",
        "lifetime": "6",
        "ssh_key": str(world.key.pk),
        "emr_release": world.release.pk,
    }
    values[field] = value
    return {f"new-{name}": value for name, value in values.items()}


def extend_post(world: World, field: str, value: str) -> dict[str, Any]:
    return {f"extend-{field}": value}


def new_job_post(world: World, field: str, value: str) -> dict[str, Any]:
    data = new_post(world.release, **{field: value})
    if field != "notebook":
        data["new-notebook"] = notebook_upload()
    return data


def edit_job_post(world: World, field: str, value: str) -> dict[str, Any]:
    return edit_post(world.job, **{field: value})


def new_key_post(world: World, field: str, value: str) -> dict[str, Any]:
    values = {"title": "laptop", "key": world.strangers_key.key.replace("tester", "new"), "key_file": ""}
    values[field] = value
    return {f"sshkey-{name}": value for name, value in values.items()}


def two_keys(world: World) -> str:
    return f"{world.key.key}\n{world.strangers_key.key}"


START = (timezone.now() + timedelta(hours=2)).strftime(FORMAT)
BEFORE_START = (timezone.now() + timedelta(hours=1)).strftime(FORMAT)

#: (form, URL name, whether the URL takes the owner's cluster or job, field, values to refuse).
CASES: list[tuple[str, str, str, str, list[Any]]] = [
    ("new cluster", "clusters-new", "", "identifier", BAD_IDENTIFIERS),
    ("new cluster", "clusters-new", "", "size", [*BAD_NUMBERS, "0", "-1", "31"]),
    ("new cluster", "clusters-new", "", "lifetime", [*BAD_NUMBERS, "0", "1", "25", "-1"]),
    ("new cluster", "clusters-new", "", "ssh_key", [*BAD_IDS, "strangers_key"]),
    ("new cluster", "clusters-new", "", "emr_release", [*BAD_IDS, "5.0.0", "7.1.0\x00"]),
    ("extend cluster", "clusters-extend", "cluster", "extension", [*BAD_NUMBERS, "0", "1", "25", "-1"]),
    ("new job", "jobs-new", "", "identifier", [*BAD_IDENTIFIERS, "daily-report", "secret-report"]),
    ("new job", "jobs-new", "", "description", ["", "   ", "\x00", "a\x00b"]),
    ("new job", "jobs-new", "", "result_visibility", ["", "x", "\x00", "PUBLIC", "public "]),
    ("new job", "jobs-new", "", "size", [*BAD_NUMBERS, "0", "-1", "31"]),
    ("new job", "jobs-new", "", "interval_in_hours", [*BAD_NUMBERS, "0", "5", "-24"]),
    ("new job", "jobs-new", "", "job_timeout", [*BAD_NUMBERS, "0", "25"]),
    ("new job", "jobs-new", "", "start_date", [*BAD_DATES, "", "2000-01-01 00:00"]),
    ("new job", "jobs-new", "", "end_date", [*BAD_DATES, BEFORE_START, START]),
    ("new job", "jobs-new", "", "emr_release", [*BAD_IDS, "5.0.0", "7.1.0\x00"]),
    ("new job", "jobs-new", "", "notebook-cache", ["x" * 33, "\x00"]),
    ("edit job", "jobs-edit", "job", "description", ["", "   ", "\x00"]),
    ("edit job", "jobs-edit", "job", "result_visibility", ["", "x", "\x00"]),
    ("edit job", "jobs-edit", "job", "size", [*BAD_NUMBERS, "0", "31"]),
    ("edit job", "jobs-edit", "job", "interval_in_hours", [*BAD_NUMBERS, "0", "5"]),
    ("edit job", "jobs-edit", "job", "job_timeout", [*BAD_NUMBERS, "0", "25"]),
    ("edit job", "jobs-edit", "job", "start_date", [*BAD_DATES, "", "2000-01-01 00:00"]),
    ("edit job", "jobs-edit", "job", "end_date", [*BAD_DATES, "2000-01-01 00:00"]),
    ("edit job", "jobs-edit", "job", "notebook-cache", ["x" * 33, "\x00"]),
    ("new key", "keys-new", "", "title", ["\x00", "a\x00b", "x" * 101]),
    (
        "new key",
        "keys-new",
        "",
        "key",
        [*BAD_TEXT, "ssh-rsa", "ssh-rsa x", "<script>alert(1)</script>", "two keys", "own key"],
    ),
]

POSTS: dict[str, PostBuilder] = {
    "new cluster": new_cluster_post,
    "extend cluster": extend_post,
    "new job": new_job_post,
    "edit job": edit_job_post,
    "new key": new_key_post,
}


def resolve(world: World, value: str) -> str:
    """Stand-ins for values that depend on the rows: another user's key, a key pair, the owner's key."""
    stand_ins = {
        "strangers_key": lambda: str(world.strangers_key.pk),
        "two keys": lambda: two_keys(world),
        "own key": lambda: world.key.key,
    }
    return stand_ins[value]() if value in stand_ins else value


@pytest.fixture
def as_owner(client_for: Any, world: World) -> Any:
    return client_for(world.owner)


@pytest.mark.parametrize(
    "form, url_name, target, field, values", CASES, ids=[f"{case[0]}-{case[3]}" for case in CASES]
)
def test_every_hostile_value_is_refused_with_a_message_and_changes_nothing(
    as_owner: Any,
    world: World,
    aws: Any,
    form: str,
    url_name: str,
    target: str,
    field: str,
    values: list[str],
) -> None:
    url = reverse(url_name, args=[getattr(world, target).pk]) if target else reverse(url_name)
    before = snapshot()
    failures = []
    for raw in values:
        value = resolve(world, raw)
        response = as_owner.post(url, POSTS[form](world, field, value))
        if is_server_error(response) or response.status_code != 200:
            failures.append((value[:40], response.status_code))
            continue
        errors = response.context["form"].errors
        if not errors.get(field):
            failures.append((value[:40], "no message on the field", dict(errors)))
    assert not failures
    assert snapshot() == before


def test_a_refused_post_keeps_the_users_other_values(as_owner: Any, world: World, aws: Any) -> None:
    response = as_owner.post(reverse("clusters-new"), new_cluster_post(world, "size", "1e400"))
    body = response.content.decode()
    assert 'value="new-curie"' in body
    assert "Enter a whole number." in body


def test_an_identifier_posted_to_the_edit_form_is_ignored(as_owner: Any, world: World, aws: Any) -> None:
    response = as_owner.post(
        reverse("jobs-edit", args=[world.job.pk]), edit_job_post(world, "identifier", "\x00")
    )
    assert response.status_code == 302
    world.job.refresh_from_db()
    assert world.job.identifier == "daily-report"


@pytest.mark.parametrize(
    "query",
    [
        {"identifier": "\x00"},
        {"identifier": "x" * 101},
        {"identifier": ""},
        {"identifier": ["a", "b"]},
        {},
    ],
)
def test_the_identifier_check_answers_hostile_input_in_plain_words(as_owner: Any, query: Any) -> None:
    response = as_owner.get(reverse("jobs-identifier-available"), query)
    assert response.status_code in (200, 400)
    assert response.content.decode().startswith("identifier ")


@pytest.mark.parametrize(
    "query", [{"clusters": "\x00"}, {"jobs": "\x00"}, {"clusters": "x" * 10_000}, {"clusters": ["all", "x"]}]
)
def test_the_dashboard_falls_back_to_its_defaults_on_unknown_filters(as_owner: Any, query: Any) -> None:
    response = as_owner.get(reverse("dashboard"), query)
    assert response.status_code == 200
