"""The site's own Django forms, fed from API requests: one validation layer for pages and API.

A form is bound with its page prefix removed, and every field the request leaves
out takes the value the page would have shown: the new-object defaults, or the
object's current value when editing (which makes every change a partial one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from rest_framework.request import Request

from atmo.api.problems import FormInvalid

Form = TypeVar("Form", bound=forms.BaseForm)


def request_values(request: Request) -> dict[str, Any]:
    """The request's fields as one value each (a JSON object, or a form's last values)."""
    data = request.data
    if hasattr(data, "getlist"):
        return {name: data.get(name) for name in data if name not in request.FILES}
    if not isinstance(data, dict):
        raise FormInvalid({"__all__": ["Send the fields as a JSON object or as form data."]})
    return dict(data)


def bind(factory: Callable[..., Form], request: Request) -> Form:
    """``factory(data=..., files=...)`` bound to the request, over the page's initial values."""
    blank = factory(data=None, files=None, prefix="")
    data: dict[str, Any] = {}
    for name, field in blank.fields.items():
        # Hidden fields are the page's own plumbing (e.g. the token of a cached upload).
        if field.widget.is_hidden or isinstance(field, forms.FileField):
            continue
        initial = blank[name].initial
        if initial is not None:
            data[name] = initial
    data.update(request_values(request))
    return factory(data=data, files=request.FILES, prefix="")


def valid(form: Form) -> Form:
    """The form, once valid; raises :class:`FormInvalid` with its messages otherwise."""
    if not form.is_valid():
        raise FormInvalid(form.errors)
    return form
