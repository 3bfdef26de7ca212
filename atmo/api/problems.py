"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error of the API has ``type``, ``title``, ``status`` and ``detail``;
a validation error also has ``errors``, one entry per message, each with a JSON
pointer to the field it is about (``#/size``) as in the RFC's own example.
``type`` is ``about:blank`` (the status says it all) except for validation
errors, whose type is described in the API's documentation.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

CONTENT_TYPE = "application/problem+json"
VALIDATION_TYPE = "/api/v1/docs/#validation-error"
NON_FIELD = "__all__"
#: Every URL of the API is under it (see atmo.urls).
API_PATH_PREFIX = "/api/"


class FormInvalid(exceptions.ValidationError):
    """A Django form refused the request; carries the form's own messages, field by field."""

    def __init__(self, errors: ErrorDict | dict[str, list[str]]) -> None:
        self.form_errors = {
            field: [str(message) for message in messages] for field, messages in errors.items()
        }
        super().__init__(self.form_errors)


def problem(status_code: int, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": extra.pop("type", "about:blank"),
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        **extra,
    }


def pointer_errors(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    """One ``{"detail", "pointer"}`` per message; a form-wide message points at the document (``#``)."""
    return [
        {"detail": message, "pointer": "#" if field == NON_FIELD else f"#/{field}"}
        for field, messages in errors.items()
        for message in messages
    ]


def flatten(data: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error data as ``{field path: [messages]}``."""
    if isinstance(data, dict):
        flat: dict[str, list[str]] = {}
        for key, value in data.items():
            name = NON_FIELD if key in ("non_field_errors", NON_FIELD) else key
            flat.update(flatten(value, f"{path}/{name}" if path else name))
        return flat
    if isinstance(data, list) and all(not isinstance(item, dict | list) for item in data):
        return {path or NON_FIELD: [str(item) for item in data]}
    if isinstance(data, list):
        flat = {}
        for index, item in enumerate(data):
            flat.update(flatten(item, f"{path}/{index}"))
        return flat
    return {path or NON_FIELD: [str(data)]}


def validation_problem(errors: dict[str, list[str]]) -> dict[str, Any]:
    count = sum(len(messages) for messages in errors.values())
    detail = "The request has an invalid value." if count == 1 else f"The request has {count} invalid values."
    return problem(status.HTTP_400_BAD_REQUEST, detail, type=VALIDATION_TYPE, errors=pointer_errors(errors))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with every answer turned into a problem document."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if exc.args else None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) if exc.args else None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's handler and error reporting take it
    if isinstance(exc, FormInvalid):
        body = validation_problem(exc.form_errors)
    elif isinstance(exc, exceptions.ValidationError):
        body = validation_problem(flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = problem(response.status_code, str(detail))
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(response.headers.get("Retry-After", exc.wait))
    response.data = body
    response.content_type = CONTENT_TYPE
    return response


def problem_response(status_code: int, detail: str) -> JsonResponse:
    """A problem document as a plain Django answer, for what answers before DRF does."""
    return JsonResponse(problem(status_code, detail), status=status_code, content_type=CONTENT_TYPE)


def is_api_path(path: str) -> bool:
    """Whether ``path`` is the API's: its answers are problem documents, never HTML pages."""
    return path.startswith(API_PATH_PREFIX)


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return problem_response(status.HTTP_404_NOT_FOUND, f"No API endpoint at {request.path}.")
