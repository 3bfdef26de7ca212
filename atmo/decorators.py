"""View decorators: object permissions and the modified-date header."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponseBase

from atmo.access import get_object_for, model_permission

View = Callable[..., HttpResponseBase]

#: The response header that carries a page's last modification time.
MODIFIED_DATE_HEADER = "X-ATMO-Modified-Date"


def permission_required(perm: str, klass: type[models.Model], **params: Any) -> Callable[[View], View]:
    """Require ``perm`` on the object the URL keyword arguments look up (404 or 403 otherwise).

    See :func:`atmo.access.get_object_for`, which the views call instead so as
    to keep the row. ``ignore=[...]`` names URL keyword arguments that are not
    lookups (e.g. ``raw`` on the key detail view).
    """
    ignored = set(params.get("ignore", ()))

    def decorator(view_func: View) -> View:
        @wraps(view_func)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            lookups = {key: value for key, value in kwargs.items() if key not in ignored}
            get_object_for(request, klass._default_manager.all(), perm, **lookups)
            return view_func(request, *args, **kwargs)

        return wrapped

    return decorator


def _model_permission(action: str) -> Callable[..., Callable[[View], View]]:
    def shorthand(model: type[models.Model], **params: Any) -> Callable[[View], View]:
        return permission_required(model_permission(model, action), model, **params)

    shorthand.__name__ = f"{action}_permission_required"
    shorthand.__doc__ = f"Require the {action} object permission of ``model``."
    return shorthand


add_permission_required = _model_permission("add")
change_permission_required = _model_permission("change")
delete_permission_required = _model_permission("delete")
view_permission_required = _model_permission("view")


def modified_date(view_func: View) -> View:
    """Send the ``modified_date`` of a TemplateResponse's context as a header.

    The page carries the same time in ``data-modified-date``. The pages' own live
    updates poll their regions with an ETag (:mod:`atmo.live`); the header stays
    for scripts that watch a page with HEAD.
    """

    @wraps(view_func)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view_func(request, *args, **kwargs)
        context = getattr(response, "context_data", None) or {}
        value = context.get("modified_date")
        if value is not None:
            response[MODIFIED_DATE_HEADER] = value.isoformat()
        return response

    return wrapped
