"""Every admin action with a selection that holds no usable id, and every admin page of an object
with an id that is none: a message or a 404, never a server error, and nothing changed."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.hostile.conftest import World, is_server_error, messages_of, snapshot
from tests.hostile.corpus import BAD_IDS

pytestmark = pytest.mark.django_db

MODEL_ADMINS = list(admin.site._registry.values())
#: Selections that are no id at all, and ids of no row.
NOT_IDS = ["x", "", "1.5", "\x00", "' OR 1=1 --", "[1]"]
NO_ROW_IDS = ["-1", "99999999999999999999"]
#: The pages of one object an admin may have (guardian adds the permission pages).
OBJECT_PAGES = ["{id}/change/", "{id}/delete/", "{id}/history/", "{id}/password/", "{id}/permissions/"]
#: Whose permissions guardian manages on an object.
WHO = ("user", "group")


def label(model_admin: Any) -> str:
    return str(model_admin.model._meta.label)


def changelist_url(model_admin: Any) -> str:
    opts = model_admin.model._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/"


def explains_the_selection(message: str) -> bool:
    # A selection that could be an id of the model ("x" for an EMR release, whose
    # id is its version) names no row; anything else is not an id at all.
    return "is not an id of" in message or "exist any more" in message


def action_names(model_admin: Any, request: Any) -> list[str]:
    return list(model_admin.get_actions(request))


@pytest.fixture
def staff_client(client: Any, world: World) -> Any:
    client.force_login(world.superuser)
    return client


@pytest.mark.parametrize("model_admin", MODEL_ADMINS, ids=label)
def test_no_action_runs_on_a_selection_without_a_usable_id(
    staff_client: Any, rf: Any, world: World, aws: Any, model_admin: Any
) -> None:
    request = rf.get(changelist_url(model_admin))
    request.user = world.superuser
    url = changelist_url(model_admin)
    before = snapshot()
    failures = []
    for action in action_names(model_admin, request):
        for selection in [*NOT_IDS, *NO_ROW_IDS]:
            for confirmation in ({}, {"post": "yes"}):  # delete_selected's second step too
                data = {"action": action, "_selected_action": [selection], "index": "0", **confirmation}
                response = staff_client.post(url, data)
                messages = messages_of(response)
                if is_server_error(response) or response.status_code != 302:
                    failures.append((action, selection, response.status_code))
                elif not any(explains_the_selection(message) for message in messages):
                    failures.append((action, selection, "no message saying why", messages))
    assert not failures
    assert snapshot() == before


def test_the_deactivate_action_says_what_was_wrong_with_the_selection(
    staff_client: Any, world: World, aws: Any
) -> None:
    url = reverse("admin:clusters_cluster_changelist")
    response = staff_client.post(url, {"action": "deactivate", "_selected_action": ["x"], "index": "0"})
    assert response.status_code == 302
    assert messages_of(response) == [
        "The selection holds 'x', which is not an id of clusters; nothing was changed."
    ]
    response = staff_client.post(url, {"action": "deactivate", "_selected_action": ["-1"], "index": "0"})
    assert messages_of(response) == ["None of the selected clusters exist any more; nothing was changed."]


def test_a_selection_mixing_ids_and_garbage_changes_nothing(
    staff_client: Any, world: World, aws: Any
) -> None:
    before = snapshot()
    data = {"action": "disable", "_selected_action": [str(world.job.pk), "x"], "index": "0"}
    response = staff_client.post(reverse("admin:jobs_sparkjob_changelist"), data)
    assert response.status_code == 302
    assert snapshot() == before


def test_an_action_on_real_ids_still_runs(staff_client: Any, world: World) -> None:
    data = {"action": "disable", "_selected_action": [str(world.job.pk)], "index": "0"}
    staff_client.post(reverse("admin:jobs_sparkjob_changelist"), data)
    world.job.refresh_from_db()
    assert not world.job.is_enabled


def object_urls(model_admin: Any, world: World) -> list[str]:
    """Every object page of the admin with every hostile id; a hostile user or group on a real object."""
    base = changelist_url(model_admin)
    bad_ids = [quote(bad_id, safe="") for bad_id in BAD_IDS if bad_id]
    urls = [base + page.format(id=bad_id) for bad_id in bad_ids for page in OBJECT_PAGES]
    urls += [f"{base}{bad_id}/permissions/{who}-manage/1/" for bad_id in bad_ids for who in WHO]
    real = {"clusters.Cluster": world.cluster.pk, "jobs.SparkJob": world.job.pk}.get(label(model_admin))
    if real is not None:
        urls += [
            f"{base}{real}/permissions/{who}-manage/{bad}/" for bad in bad_ids for who in ("user", "group")
        ]
    return urls


@pytest.mark.parametrize("model_admin", MODEL_ADMINS, ids=label)
def test_no_object_page_fails_on_an_id_that_is_none(
    staff_client: Any, world: World, aws: Any, model_admin: Any
) -> None:
    before = snapshot()
    failures = []
    for url in object_urls(model_admin, world):
        for method in ("get", "post"):
            response = getattr(staff_client, method)(url, {"post": "yes"} if method == "post" else {})
            if is_server_error(response):
                failures.append((method, url, response.status_code))
            messages_of(response)
    assert not failures
    assert snapshot() == before


@pytest.mark.parametrize("bad_id", [bad_id for bad_id in BAD_IDS if bad_id])
def test_the_admins_shortcut_to_an_objects_page_fails_on_no_id(staff_client: Any, bad_id: str) -> None:
    response = staff_client.get(f"/admin/r/{quote(bad_id, safe='')}/{quote(bad_id, safe='')}/")
    assert response.status_code == 404
