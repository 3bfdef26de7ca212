"""The object-permission decorators, tried on auth groups with guardian permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.test import RequestFactory
from django.utils import timezone
from guardian.shortcuts import assign_perm

from atmo.decorators import (
    MODIFIED_DATE_HEADER,
    change_permission_required,
    modified_date,
    view_permission_required,
)


@view_permission_required(Group)
def view_group(request: Any, id: int) -> HttpResponse:
    return HttpResponse(f"group {id}")


@change_permission_required(Group, ignore=["raw"])
def change_group(request: Any, id: int, raw: bool = False) -> HttpResponse:
    return HttpResponse("raw" if raw else "changed")


@pytest.fixture
def group(db: Any) -> Group:
    return Group.objects.create(name="owned")


def request_as(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_the_owner_with_the_object_permission_gets_through(user: Any, group: Group) -> None:
    assign_perm("auth.view_group", user, group)
    assert view_group(request_as(user), id=group.pk).content == f"group {group.pk}".encode()


def test_another_user_gets_403(user: Any, user2: Any, group: Group) -> None:
    from django.core.exceptions import PermissionDenied

    assign_perm("auth.view_group", user, group)
    with pytest.raises(PermissionDenied):
        view_group(request_as(user2), id=group.pk)


def test_a_missing_object_is_404_even_for_a_superuser(user: Any) -> None:
    from django.http import Http404

    user.is_superuser = True
    with pytest.raises(Http404):
        view_group(request_as(user), id=987654)


def test_a_global_permission_does_not_open_other_users_objects(user2: Any, group: Group) -> None:
    from django.contrib.auth.models import Permission
    from django.core.exceptions import PermissionDenied

    user2.user_permissions.add(Permission.objects.get(codename="view_group"))
    with pytest.raises(PermissionDenied):
        view_group(request_as(user2), id=group.pk)


def test_ignored_kwargs_are_not_used_for_the_lookup(user: Any, group: Group) -> None:
    assign_perm("auth.change_group", user, group)
    assert change_group(request_as(user), id=group.pk, raw=True).content == b"raw"


def test_the_wrong_permission_is_403(user: Any, group: Group) -> None:
    from django.core.exceptions import PermissionDenied

    assign_perm("auth.view_group", user, group)
    with pytest.raises(PermissionDenied):
        change_group(request_as(user), id=group.pk)


def test_modified_date_sets_the_header_from_the_context() -> None:
    moment = timezone.now()

    @modified_date
    def page(request: Any) -> TemplateResponse:
        return TemplateResponse(request, "404.html", {"modified_date": moment})

    response = page(RequestFactory().get("/"))
    assert response[MODIFIED_DATE_HEADER] == moment.isoformat()
    assert response[MODIFIED_DATE_HEADER].endswith("+00:00")


def test_modified_date_leaves_the_header_out_without_a_value() -> None:
    @modified_date
    def page(request: Any) -> TemplateResponse:
        return TemplateResponse(request, "404.html", {})

    assert MODIFIED_DATE_HEADER not in page(RequestFactory().get("/"))
