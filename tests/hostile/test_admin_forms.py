"""Every field of every admin add and change form, one hostile value at a time: never a server
error, and a refused form changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin

from tests.hostile.conftest import World, is_server_error

pytestmark = pytest.mark.django_db

MODEL_ADMINS = [m for m in admin.site._registry.values() if m.model._meta.label != "constance.Config"]
#: A NUL, beyond any number column, far longer than any text column.
VALUES = ["\x00", "99999999999999999999", "x" * 10_000]


def form_urls(model_admin: Any) -> list[str]:
    opts = model_admin.model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    # A model without a table (the system page's) has no row to change.
    first = model_admin.model.objects.order_by("pk").first() if opts.managed else None
    return [f"{base}add/", *([f"{base}{first.pk}/change/"] if first else [])]


def rows(model: Any) -> list[dict[str, Any]]:
    return list(model.objects.order_by("pk").values())


def form_data(form: Any, **changes: Any) -> dict[str, Any]:
    """What the form posts back as it was shown, with ``changes``."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = changes.get(name, form.initial.get(name, field.initial))
        if field.disabled or value is None or value is False:
            continue
        if isinstance(value, list | tuple):
            value = [getattr(item, "pk", item) for item in value]
        data[name] = "on" if value is True else getattr(value, "pk", value)
    return data


@pytest.mark.parametrize("model_admin", MODEL_ADMINS, ids=lambda m: m.model._meta.label)
def test_no_hostile_value_in_an_admin_form_gives_a_server_error(
    client: Any, world: World, aws: Any, model_admin: Any
) -> None:
    client.force_login(world.superuser)
    failures = []
    for url in form_urls(model_admin):
        page = client.get(url)
        if page.status_code in (403, 404):  # no such form: rows come from the site or AWS, or none exist
            continue
        form = page.context["adminform"].form
        for name in [name for name, field in form.fields.items() if not field.disabled]:
            for value in VALUES:
                before = rows(model_admin.model)
                response = client.post(url, form_data(form, **{name: value}))
                if is_server_error(response):
                    failures.append((url, name, value[:20], response.status_code))
                elif response.status_code == 200 and rows(model_admin.model) != before:
                    failures.append((url, name, value[:20], "refused, yet something changed"))
    assert not failures
