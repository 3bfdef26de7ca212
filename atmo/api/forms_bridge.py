"""The site's own Django forms, fed from API requests: one validation layer for pages and API.

A form is bound with its page prefix removed, and every field the request leaves
out takes the value the page would have shown: the new-object defaults, or the
object's current value when editing (which makes every change a partial one).
A field whose page widget spreads its value over several inputs (a table of
rows, and says so with ``api_json_value = True``) takes it as one JSON value
instead (see :class:`JSONValue`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from rest_framework.request import Request

from atmo.api.problems import FormInvalid

Form = TypeVar("Form", bound=forms.BaseForm)


class JSONValue(forms.Widget):
    """A field's whole value as the request gave it: a JSON value, or JSON text in form data.

    Text that is not JSON is passed on as it came, for the field to refuse with its own message.
    """

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = data.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value


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
    return bind_values(factory, request_values(request), request.FILES)


def bind_values(factory: Callable[..., Form], values: dict[str, Any], files: Any = None) -> Form:
    """``factory(data=..., files=...)`` bound to ``values``, over the page's initial values."""
    blank = factory(data=None, files=None, prefix="")
    data: dict[str, Any] = {}
    for name, field in blank.fields.items():
        # Hidden fields are the page's own plumbing (e.g. the token of a cached upload).
        if field.widget.is_hidden or isinstance(field, forms.FileField):
            continue
        initial = blank[name].initial
        if initial is not None:
            data[name] = initial
    data.update(values)
    form = factory(data=data, files=files, prefix="")
    for field in form.fields.values():
        if getattr(field.widget, "api_json_value", False):
            field.widget = JSONValue()
    return form


def valid(form: Form) -> Form:
    """The form, once valid; raises :class:`FormInvalid` with its messages otherwise."""
    if not form.is_valid():
        raise FormInvalid(form.errors)
    return form
