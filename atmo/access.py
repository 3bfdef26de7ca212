"""Object access for views: the row a URL names, if the user may act on it."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import HttpRequest

from atmo.tombstones import not_found

Row = TypeVar("Row", bound=models.Model)


def get_object_for(request: HttpRequest, queryset: models.QuerySet[Row], perm: str, **lookups: Any) -> Row:
    """The row of ``queryset`` that ``lookups`` find, if ``request.user`` holds ``perm`` on it.

    A missing row is a 404 (a 410 page for its owner once it was deleted, see
    :mod:`atmo.tombstones`); a row the user may not act on is a 403. Only object
    permissions (and superuser status) count: a global permission does not
    open another user's row.
    """
    row = get_or_gone(request, queryset, **lookups)
    if not request.user.has_perm(perm, row):
        raise PermissionDenied(f"You do not have access to this {queryset.model._meta.verbose_name}.")
    return row


def model_permission(model: type[models.Model], action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def get_or_gone(request: HttpRequest, queryset: models.QuerySet[Row], **lookups: Any) -> Row:
    """The row ``lookups`` find (by ``pk``), else a 404, or to its owner the deleted row's 410."""
    try:
        return queryset.get(**lookups)
    except ObjectDoesNotExist:
        raise not_found(request, queryset.model, lookups.get("pk")) from None
