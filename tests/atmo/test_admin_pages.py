"""Every model's admin changelist loads, with its filters and search, for staff."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Any, user: Any) -> Any:
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model_admin", list(admin.site._registry.values()), ids=lambda m: m.model._meta.label
)
def test_changelist_and_search_load(staff_client: Any, model_admin: Any) -> None:
    opts = model_admin.model._meta
    url = f"/admin/{opts.app_label}/{opts.model_name}/"
    assert staff_client.get(url).status_code == 200
    if model_admin.search_fields:
        assert staff_client.get(url, {"q": "anything"}).status_code == 200


def test_live_settings_are_grouped_in_fieldsets(staff_client: Any) -> None:
    body = staff_client.get("/admin/constance/config/").content.decode()
    assert "Announcements" in body
    assert "AWS" in body
    assert "ANNOUNCEMENT_STYLE" in body


def test_every_atmo_model_is_in_the_admin() -> None:
    from django.apps import apps

    registered = {model._meta.label for model in admin.site._registry}
    for app in ("clusters", "jobs", "keys", "stats"):
        for model in apps.get_app_config(app).get_models():
            assert model._meta.label in registered, model._meta.label
