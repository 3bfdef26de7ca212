"""Abstract model bases and model helpers shared by the ATMO apps."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from guardian.shortcuts import assign_perm


class EditedAtModel(models.Model):
    """Adds ``created_at`` and ``modified_at``; the latter is refreshed on every save."""

    created_at = models.DateTimeField(editable=False, blank=True, default=timezone.now)
    modified_at = models.DateTimeField(editable=False, blank=True, default=timezone.now)

    class Meta:
        abstract = True
        get_latest_by = "modified_at"
        ordering = ("-modified_at", "-created_at")

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save with ``modified_at`` set to now, also when only ``update_fields`` are saved."""
        self.modified_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "modified_at" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "modified_at"]
        super().save(*args, **kwargs)


class CreatedByModel(models.Model):
    """Records the owner and grants them view, change and delete object permissions."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="created_%(class)ss",
        help_text="User that created the instance.",
    )

    OWNER_PERMISSIONS = ("view", "change", "delete")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; on creation, grant the owner the :attr:`OWNER_PERMISSIONS` on the new row."""
        is_new = self._state.adding
        super().save(*args, **kwargs)
        # Only on creation: the owner never changes afterwards, and granting again on
        # every save would cost three queries per save for nothing.
        if is_new:
            for perm in self.OWNER_PERMISSIONS:
                self.assign_permission(self.created_by, perm)

    def assign_permission(self, user: Any, perm: str) -> None:
        """Grant ``user`` the object permission ``<perm>_<model>`` on this row."""
        assign_perm(f"{perm}_{self._meta.model_name}", user, self)


class URLActionModel(models.Model):
    """Gives a model ``urls.<action>`` for URL patterns named ``<prefix>-<action>``."""

    #: The prefix of the URL pattern names, e.g. ``"clusters"``.
    url_prefix: str | None = None
    #: The actions with a URL pattern, e.g. ``["detail", "extend"]``.
    url_actions: list[str] = []
    #: What joins the prefix and the action in the pattern name.
    url_delimiter = "-"
    #: The keyword argument of the URL patterns.
    url_kwarg_name = "id"
    #: The model field that fills the keyword argument.
    url_field_name = "id"

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        """The object's detail page (``urls.detail``)."""
        return self.urls.detail

    @cached_property
    def urls(self) -> Any:
        """A named tuple of the object's URLs, one per :attr:`url_actions` entry.

        A hyphen in an action becomes an underscore in the attribute name.
        """
        if self.url_prefix is None:
            raise ImproperlyConfigured(f"{type(self).__name__}.url_prefix is not set")
        value = getattr(self, self.url_field_name)
        names = [action.replace("-", "_") for action in self.url_actions]
        URLs = namedtuple("URLs", names)  # type: ignore[misc]  # noqa: PYI024
        return URLs(
            *(
                reverse(
                    f"{self.url_prefix}{self.url_delimiter}{action}",
                    kwargs={self.url_kwarg_name: value},
                )
                for action in self.url_actions
            )
        )


class PermissionMigrator:
    """Grants or revokes an object permission on every existing row, for data migrations.

    Give either ``user_field`` (the row's field holding the user to grant) or
    ``group`` (a group instance from the migration's ``apps``).
    """

    def __init__(
        self,
        apps: Any,
        model: type[models.Model],
        perm: str,
        user_field: str | None = None,
        group: Any = None,
    ) -> None:
        if (user_field is None) == (group is None):
            raise ValueError("give exactly one of user_field and group")
        self.apps = apps
        self.model = model
        self.perm = perm
        self.user_field = user_field
        self.group = group
        content_type_model = apps.get_model("contenttypes", "ContentType")
        permission_model = apps.get_model("auth", "Permission")
        self.content_type = content_type_model.objects.get_for_model(model)
        self.permission, _ = permission_model.objects.get_or_create(
            content_type=self.content_type,
            codename=perm,
            defaults={"name": perm.replace("_", " ").capitalize()},
        )
        if user_field:
            self.object_permission_model = apps.get_model("guardian", "UserObjectPermission")
        else:
            self.object_permission_model = apps.get_model("guardian", "GroupObjectPermission")

    def _rows(self) -> Iterator[dict[str, Any]]:
        for obj in self.model.objects.all():
            row: dict[str, Any] = {
                "permission": self.permission,
                "content_type": self.content_type,
                "object_pk": str(obj.pk),
            }
            if self.user_field:
                row["user"] = getattr(obj, self.user_field)
            else:
                row["group"] = self.group
            yield row

    def assign(self) -> None:
        """Grant the permission on every row of the model (rows already there are kept)."""
        for row in self._rows():
            self.object_permission_model.objects.get_or_create(**row)

    def remove(self) -> None:
        """Take the permission granted by :meth:`assign` away again."""
        for row in self._rows():
            self.object_permission_model.objects.filter(**row).delete()


def next_field_value(
    model_cls: type[models.Model],
    field_name: str,
    field_value: str,
    start: int = 2,
    separator: str = "-",
    max_length: int = 0,
    queryset: QuerySet[Any] | None = None,
) -> str:
    """A value for ``field_name`` not yet taken, made by appending a counter.

    ``curie`` becomes ``curie-2``, then ``curie-3``…; a value that already ends in
    a counter (``curie-7``) is counted on from its base. The result fits the
    field's ``max_length`` (or ``max_length`` when smaller), shortening the base.
    """
    field = model_cls._meta.get_field(field_name)
    limits = [n for n in (max_length, getattr(field, "max_length", None)) if n]
    limit = min(limits) if limits else 0
    if queryset is None:
        queryset = model_cls._default_manager.all()

    base, _, suffix = field_value.rpartition(separator)
    if not (base and suffix.isdigit()):
        base = field_value

    value = field_value
    counter = start
    while not value or queryset.filter(**{field_name: value}).exists():
        tail = f"{separator}{counter}"
        head = base[: limit - len(tail)] if limit else base
        value = f"{head}{tail}"
        counter += 1
    return value


def apply_changes(obj: models.Model, values: dict[str, Any]) -> dict[str, Any]:
    """Set each field whose new value is known (not None) and differs from the current one.

    Returns the changed fields with their previous values, so a caller can tell,
    say, a first ``ready_at`` from a corrected one.
    """
    previous = {}
    for field, value in values.items():
        current = getattr(obj, field)
        if value is not None and value != current:
            previous[field] = current
            setattr(obj, field, value)
    return previous
