"""What every ATMO admin page shares: input it cannot use gets a message, never a server error.

Django's change list applies the filters of its query string (``?created_at__year=…``)
as it finds them, and only the ones Python refuses at once are caught. Others fail
only when the query runs: a year no date can hold (``99999``), a NUL character, a
regular expression PostgreSQL cannot compile. Its actions filter on the posted
``_selected_action`` values without checking that they are ids, and guardian's
object-permission pages look the object up the same way. Every admin of ATMO
derives from :class:`CheckedInputAdminMixin` (``tests/hostile`` checks it), which
closes these holes once for all of them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import DataError, models, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from guardian.admin import GuardedModelAdmin

from atmo.tombstones import bury

logger = logging.getLogger(__name__)

#: What a filter the database cannot run raises when the query is built or run.
QUERY_ERRORS = (ValueError, TypeError, OverflowError, DataError)


class UnusableQueryString(Exception):
    """The change list's query string asks for something no query can do."""


def is_pk_value(model: type[models.Model], value: str) -> bool:
    if "\x00" in value:  # no database column holds one; PostgreSQL refuses the query
        return False
    field = model._meta.pk
    try:
        field.get_prep_value(field.to_python(value))
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    return True


def require_pk_value(model: type[models.Model], value: str) -> None:
    """Raise ``Http404`` unless ``value`` could be the primary key of a ``model`` row."""
    if not is_pk_value(model, value):
        raise Http404(f"No {model._meta.verbose_name} has the id {value!r}.")


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (database errors add context lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


class CheckedChangeList(ChangeList):
    """A change list whose query runs once, in a savepoint, while its filters can still be refused."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> models.QuerySet[Any]:
        """The filtered rows; filters Python cannot even build raise ``IncorrectLookupParameters``.

        Django checks the date hierarchy's year only for ``ValueError``, not for
        the year after 9999 or a number too large for a C long.
        """
        try:
            return super().get_queryset(request, exclude_parameters)
        except QUERY_ERRORS as exc:
            logger.info("change list filters refused", extra={"path": request.path}, exc_info=True)
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request: HttpRequest) -> None:
        """Count and fetch the page; a query the database refuses becomes ``IncorrectLookupParameters``."""
        # The savepoint keeps a refused query from aborting a surrounding transaction.
        try:
            with transaction.atomic(using=self.queryset.db):
                super().get_results(request)
                len(self.result_list)  # the page's rows, fetched here rather than by the template
        except QUERY_ERRORS as exc:
            logger.info("change list query refused", extra={"path": request.path}, exc_info=True)
            raise IncorrectLookupParameters(exc) from exc


if TYPE_CHECKING:
    # What the mixin extends, for the type checker only: at run time it stays a plain
    # mixin so that it can go first among any ModelAdmin's bases.
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


class CheckedInputAdminMixin(_AdminBase):
    """Answers an unusable change-list query string or action selection with a message.

    Goes first among an admin's bases (``class XAdmin(CheckedInputAdminMixin, admin.ModelAdmin)``).
    """

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CheckedChangeList

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        """The change list; filters that cannot apply raise :class:`UnusableQueryString`.

        Django would redirect to ``?e=1`` without a word, and show a "database error"
        page when that flag comes back with the same filters.
        """
        try:
            return super().get_changelist_instance(request)
        except IncorrectLookupParameters as exc:
            raise UnusableQueryString(first_line(exc) if exc.args else "") from exc

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The change list, or back to it without any filter, saying which ones were not used."""
        try:
            return super().changelist_view(request, extra_context)
        except UnusableQueryString as exc:
            reason = f" ({exc})" if str(exc) else ""
            self.message_user(
                request,
                f"The filters in the address could not be applied{reason}; "
                f"showing every {self.model._meta.verbose_name} instead.",
                messages.WARNING,
            )
            return HttpResponseRedirect(request.path)

    def response_action(
        self, request: HttpRequest, queryset: models.QuerySet[Any], *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        """Run the chosen action, unless the selection holds no row it could act on.

        Returning None sends the user back to the change list, with the message.
        """
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        not_ids = [value for value in selected if not is_pk_value(self.model, value)]
        name = self.model._meta.verbose_name_plural
        if not_ids:
            shown = ", ".join(repr(value) for value in not_ids[:3])
            self.message_user(
                request,
                f"The selection holds {shown}, which is not an id of {name}; nothing was changed.",
                messages.ERROR,
            )
            return None
        if selected and not queryset.filter(pk__in=selected).exists():
            self.message_user(
                request, f"None of the selected {name} exist any more; nothing was changed.", messages.WARNING
            )
            return None
        return super().response_action(request, queryset, *args, **kwargs)


class TombstoneAdminMixin:
    """Deleting a row through the admin leaves its tombstone (see :mod:`atmo.tombstones`)."""

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        pk = obj.pk
        super().delete_model(request, obj)  # type: ignore[misc]
        bury(obj, request.user, object_id=pk)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        rows = [(row, row.pk) for row in queryset]
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        for row, pk in rows:
            bury(row, request.user, object_id=pk)


class ModelAdmin(TombstoneAdminMixin, CheckedInputAdminMixin, admin.ModelAdmin):
    """The base of ATMO's plain admins."""


# guardian declares change_form_template a plain attribute where django-stubs has a ClassVar.
class CheckedGuardedModelAdmin(TombstoneAdminMixin, CheckedInputAdminMixin, GuardedModelAdmin):  # type: ignore[misc]
    """guardian's admin with object permissions, whose pages 404 on ids that cannot be ids."""

    def obj_perms_manage_view(self, request: HttpRequest, object_pk: str) -> HttpResponse:
        require_pk_value(self.model, object_pk)
        return super().obj_perms_manage_view(request, object_pk)

    def obj_perms_manage_user_view(self, request: HttpRequest, object_pk: str, user_id: str) -> HttpResponse:
        require_pk_value(self.model, object_pk)
        require_pk_value(get_user_model(), user_id)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(
        self, request: HttpRequest, object_pk: str, group_id: str
    ) -> HttpResponse:
        require_pk_value(self.model, object_pk)
        require_pk_value(Group, group_id)
        return super().obj_perms_manage_group_view(request, object_pk, group_id)
