"""Tombstones: what is left of a deleted cluster, job, run or key, so its old URL can say so.

A page asked for a row that is gone answers 410 Gone, saying what it was, when
and by whom it was deleted, with a link back, instead of a bare 404 that looks
like a broken link. Only the owner learns this: anybody else gets the plain
404 that an id which never existed gets, so ids tell nothing about other users.
Deletions record their tombstone explicitly (the views, the API and the admin),
after the row is gone: a deletion that failed leaves no tombstone.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

logger = logging.getLogger(__name__)

#: The models whose deletion leaves a tombstone, by label, with where to go back to.
TOMBSTONED = {
    "clusters.cluster": "dashboard",
    "jobs.sparkjob": "dashboard",
    "jobs.sparkjobrun": "dashboard",
    "keys.sshkey": "keys-list",
}


class Tombstone(models.Model):
    """One deleted row of a :data:`TOMBSTONED` model, as its owner may learn about it."""

    kind = models.CharField(max_length=50, help_text="The deleted row's model label, e.g. keys.sshkey.")
    object_id = models.BigIntegerField(help_text="The deleted row's primary key.")
    label = models.CharField(max_length=255, help_text="What the row was called: its title or identifier.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Whose row it was: the only user told that it was deleted.",
    )
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who deleted it (the owner or an operator), when known.",
    )
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "atmo"
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="one_tombstone_per_row")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} ({self.label})"

    @property
    def noun(self) -> str:
        from django.apps import apps

        return str(apps.get_model(self.kind)._meta.verbose_name)

    @property
    def back_url_name(self) -> str:
        return TOMBSTONED[self.kind]


def kind_of(model: type[models.Model]) -> str:
    return model._meta.label_lower


def owner_of(row: Any) -> Any:
    """The user a row belongs to: its creator, or for a run its job's."""
    if hasattr(row, "created_by_id"):
        return row.created_by_id
    return row.spark_job.created_by_id


def bury(row: Any, deleted_by: Any, *, object_id: Any = None) -> None:
    """Record that ``row`` (deleted just now, by ``deleted_by``) existed.

    ``object_id`` is the row's former primary key when Django already cleared it.
    """
    kind = kind_of(type(row))
    if kind not in TOMBSTONED:
        return
    user_id = getattr(deleted_by, "pk", None)
    Tombstone.objects.update_or_create(
        kind=kind,
        object_id=object_id if object_id is not None else row.pk,
        defaults={
            "label": str(row)[:255],
            "owner_id": owner_of(row),
            "deleted_by_id": user_id,
            "deleted_at": timezone.now(),
        },
    )


class ObjectGone(Http404):
    """The row was deleted, and the user asking owned it: the page says so (410)."""

    def __init__(self, tombstone: Tombstone) -> None:
        super().__init__(f"The {tombstone.noun} {tombstone.label} was deleted.")
        self.tombstone = tombstone


def not_found(request: HttpRequest, model: type[models.Model], pk: Any) -> Http404:
    """What to raise for a missing row: :class:`ObjectGone` to its owner, else a plain 404."""
    user_id = getattr(request.user, "pk", None)
    tombstone = None
    if user_id is not None and str(pk).isdigit():
        tombstone = (
            Tombstone.objects.select_related("deleted_by")
            .filter(kind=kind_of(model), object_id=int(pk), owner_id=user_id)
            .first()
        )
    if tombstone is None:
        return Http404(f"No {model._meta.verbose_name} with this id.")
    return ObjectGone(tombstone)


class GoneMiddleware:
    """Renders :class:`ObjectGone` as the 410 page, in development (DEBUG) as in production."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ObjectGone):
            return None
        tombstone = exception.tombstone
        # Expected after a deletion (an old tab, a bookmark): information, not an error.
        logger.info(
            "deleted object requested",
            extra={"kind": tombstone.kind, "object_id": tombstone.object_id, "path": request.path},
        )
        response = TemplateResponse(request, "atmo/gone.html", {"tombstone": tombstone}, status=410)
        return response.render()
