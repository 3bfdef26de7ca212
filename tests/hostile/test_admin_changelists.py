"""Every admin change list, with hostile filters, searches, orderings and pages in its address.

A filter the database cannot run sends the operator back to the unfiltered
list with a message naming the problem; it never gives a server error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.db import models

from atmo.admin import CheckedInputAdminMixin
from tests.hostile.conftest import World, is_server_error, messages_of, snapshot
from tests.hostile.corpus import DATE_FILTERS, FIELD_FILTERS, JSON_FILTERS

pytestmark = pytest.mark.django_db

MODEL_ADMINS = list(admin.site._registry.values())
#: The change list's own parameters: search, ordering, page, "show all", the error flag.
CHANGELIST_PARAMETERS: list[dict[str, str]] = [
    {"q": "\x00"},
    {"q": "x" * 10_000},
    {"q": "' OR 1=1 --"},
    {"o": "x"},
    {"o": "99"},
    {"o": "-1.-2"},
    {"p": "99999"},
    {"p": "-1"},
    {"p": "x"},
    {"all": "\x00"},
    {"e": "1", "created_at__year": "99999"},
]


def label(model_admin: Any) -> str:
    return str(model_admin.model._meta.label)


def changelist_url(model_admin: Any) -> str:
    opts = model_admin.model._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/"


def one_field_of_each_type(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The first concrete field of each field class: how a filter fails depends on the type."""
    fields: dict[type, models.Field[Any, Any]] = {}
    for field in getattr(model._meta, "concrete_fields", ()):  # constance's Config has none
        fields.setdefault(type(field), field)
    return list(fields.values())


def field_parameters(model: type[models.Model]) -> Iterator[dict[str, str]]:
    """Hostile filters on a field of each type of ``model`` (foreign keys by their id)."""
    for field in one_field_of_each_type(model):
        filters = list(FIELD_FILTERS)
        if isinstance(field, models.DateField):
            filters += DATE_FILTERS
        if isinstance(field, models.JSONField):
            filters += JSON_FILTERS
        for lookup, value in filters:
            yield {f"{field.name}{lookup}": value}


def list_filter_parameters(model_admin: Any) -> Iterator[dict[str, str]]:
    """Hostile values for the sidebar's filters that span relations (``runs__status``)."""
    for entry in model_admin.list_filter:
        if isinstance(entry, str) and "__" in entry:
            for value in ["\x00", "99999-01-01"]:
                yield {entry: value}
        elif not isinstance(entry, str) and hasattr(entry, "parameter_name"):
            yield {entry.parameter_name: "\x00"}


def hostile_parameters(model_admin: Any) -> list[dict[str, str]]:
    return [
        *field_parameters(model_admin.model),
        *list_filter_parameters(model_admin),
        *CHANGELIST_PARAMETERS,
    ]


def is_disallowed_lookup(model_admin: Any, parameters: dict[str, str]) -> bool:
    """Whether Django refuses the filter outright (400): e.g. on password hashes, to stop guessing them."""
    return any(name.split("__")[0] == "password" for name in parameters)


@pytest.fixture
def staff_client(client: Any, world: World) -> Any:
    client.force_login(world.superuser)
    return client


def test_every_atmo_admin_checks_its_input() -> None:
    unchecked = [
        label(model_admin)
        for model_admin in MODEL_ADMINS
        if model_admin.__module__.startswith("atmo.") and not isinstance(model_admin, CheckedInputAdminMixin)
    ]
    assert not unchecked, f"derive these admins from atmo.admin.CheckedInputAdminMixin: {unchecked}"


@pytest.mark.parametrize("model_admin", MODEL_ADMINS, ids=label)
def test_no_hostile_filter_makes_a_change_list_fail_or_change_anything(
    staff_client: Any, model_admin: Any
) -> None:
    url = changelist_url(model_admin)
    before = snapshot()
    failures = []
    for parameters in hostile_parameters(model_admin):
        response = staff_client.get(url, parameters)
        if is_server_error(response) or response.status_code not in (200, 302, 400):
            failures.append((parameters, response.status_code))
        elif response.status_code == 400 and not is_disallowed_lookup(model_admin, parameters):
            failures.append((parameters, "400 for a lookup the admin allows"))
        elif response.status_code == 302 and (
            response["Location"] != url or not any("could not be applied" in m for m in messages_of(response))
        ):
            failures.append((parameters, "redirected without saying why", response["Location"]))
    assert not failures
    assert snapshot() == before


@pytest.mark.parametrize(
    "model_admin",
    [
        m
        for m in MODEL_ADMINS
        if "created_at" in {f.name for f in getattr(m.model._meta, "concrete_fields", ())}
    ],
    ids=label,
)
def test_an_out_of_range_year_gives_the_whole_list_and_a_message(staff_client: Any, model_admin: Any) -> None:
    url = changelist_url(model_admin)
    response = staff_client.get(url, {"created_at__year": "99999"})
    assert response.status_code == 302
    assert response["Location"] == url
    [message] = messages_of(response)
    assert message.startswith("The filters in the address could not be applied")
    assert message.endswith(f"showing every {model_admin.model._meta.verbose_name} instead.")
    assert staff_client.get(response["Location"]).status_code == 200


def test_the_message_names_what_was_wrong(staff_client: Any) -> None:
    response = staff_client.get("/admin/keys/sshkey/", {"created_at__year": "99999"})
    assert "(year 99999 is out of range)" in messages_of(response)[0]
    response = staff_client.get("/admin/keys/sshkey/", {"title__regex": "("})
    assert "invalid regular expression" in messages_of(response)[0]


def test_a_filter_that_works_still_filters(staff_client: Any, world: World) -> None:
    response = staff_client.get("/admin/clusters/cluster/", {"created_by__id__exact": world.stranger.pk})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [world.strangers_cluster]
