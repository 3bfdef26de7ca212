"""The OpenAPI description of request bodies, read off the site's Django forms.

The forms validate (:mod:`atmo.api.forms_bridge`); this module only describes
their fields to drf-spectacular, so the document cannot drift from them.
Limits set when a form is made for a user (the largest cluster size, say) are
the form's to check and are left out of the document.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.db import models
from django.utils.functional import lazy
from django.utils.html import strip_tags
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from atmo.api.problems import CONTENT_TYPE
from atmo.api.serializers import ParameterDefinitionSerializer
from atmo.jobs.forms import ParametersField


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as multipart form data."""


def describe_field(field: forms.Field) -> serializers.Field:
    """A serializer field with the type, choices and bounds of a Django form field."""
    options: dict[str, Any] = {
        "required": bool(field.required or getattr(field, "real_required", False)),
        # Lazy: some help texts reverse URLs, which cannot happen while the URLconf loads.
        "help_text": lazy(lambda: strip_tags(str(field.help_text or "")), str)(),
    }
    if isinstance(field, ParametersField):
        # The API takes the page's table of rows as one JSON list (see atmo.api.forms_bridge).
        return ParameterDefinitionSerializer(many=True, **options)
    if isinstance(field, forms.ModelChoiceField):
        pk = field.queryset.model._meta.pk  # type: ignore[union-attr]
        kind = serializers.CharField if isinstance(pk, models.CharField) else serializers.IntegerField
        return kind(**options)
    if isinstance(field, forms.ChoiceField):
        choices = [choice for choice in field.choices if choice[0] != ""]  # type: ignore[union-attr,index]
        return serializers.ChoiceField(choices=choices, **options)
    if isinstance(field, forms.FileField):
        return UploadField(**options)
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(min_value=field.min_value, max_value=field.max_value, **options)
    if isinstance(field, forms.DateTimeField):
        return serializers.DateTimeField(allow_null=not field.required, **options)
    if isinstance(field, forms.DateField):
        return serializers.DateField(**options)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(**{**options, "required": False})
    if isinstance(field, forms.RegexField):
        return serializers.RegexField(field.regex.pattern, max_length=field.max_length, **options)
    return serializers.CharField(max_length=getattr(field, "max_length", None), **options)


@cache
def form_request(form_class: type[forms.BaseForm]) -> type[serializers.Serializer[Any]]:
    """A serializer class describing ``form_class``'s fields (hidden plumbing left out)."""
    fields = {
        name: describe_field(field)
        for name, field in form_class.base_fields.items()  # type: ignore[attr-defined]
        if not field.widget.is_hidden
    }
    name = form_class.__name__.removesuffix("Form") + "Request"
    return type(name, (serializers.Serializer,), {**fields, "__doc__": form_class.__doc__})


class AccessTokenScheme(OpenApiAuthenticationExtension):
    """Personal access tokens in the document: HTTP bearer authentication."""

    target_class = "atmo.api.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token (`atmo_…`) from the API tokens page.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    """The browser's session cookie, for trying the API from its reference page."""

    target_class = "atmo.api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


#: The problem documents every operation may answer, with when.
PROBLEM_RESPONSES = {
    "400": ("ValidationProblem", "The request is invalid: `errors` says what is wrong with each field."),
    "401": ("Problem", "No access token, or one that is not valid, revoked or expired."),
    "403": ("Problem", "A read-only token writing, or a disabled account."),
    "404": ("Problem", "No such object, or another user's (the same words for both); or a stale cursor."),
    "429": ("Problem", "Over the token's requests per minute: wait `Retry-After` seconds."),
}
PROBLEM_HEADERS = {
    "401": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Bearer realm="api"'}},
    "429": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until the next window."}},
}
#: Query parameters of every list that are no filter: they cannot make a request invalid.
PAGING_PARAMETERS = {"cursor", "page_size"}
PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "An RFC 9457 problem document (`application/problem+json`).",
        "properties": {
            "type": {"type": "string", "description": "`about:blank`, or a link to what the problem means."},
            "title": {"type": "string", "description": "The status's phrase."},
            "status": {"type": "integer"},
            "detail": {"type": "string", "description": "What went wrong, in words to show a person."},
            "retry_after": {"type": "integer", "description": "On a 429: seconds to wait."},
        },
        "required": ["type", "title", "status", "detail"],
    },
    "ValidationProblem": {
        "allOf": [
            {"$ref": "#/components/schemas/Problem"},
            {
                "type": "object",
                "properties": {
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "detail": {"type": "string"},
                                "pointer": {
                                    "type": "string",
                                    "description": "A JSON pointer to the field (`#/size`), `#` for all.",
                                },
                            },
                            "required": ["detail", "pointer"],
                        },
                    }
                },
                "required": ["errors"],
            },
        ]
    },
}


def problem_codes(path: str, operation: dict[str, Any]) -> list[str]:
    """The problem statuses ``operation`` can answer: 400 with a body or a filter, 404 with an object."""
    codes = ["401", "403", "429"]
    filters = {
        parameter["name"] for parameter in operation.get("parameters", []) if parameter.get("in") == "query"
    }
    if "requestBody" in operation or filters - PAGING_PARAMETERS:
        codes.append("400")
    if "{" in path or "cursor" in filters:
        codes.append("404")
    return sorted(codes)


def add_problem_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every operation lists the problems it may answer."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {}).update(PROBLEM_SCHEMAS)
    components["responses"] = {
        code: {
            "description": description,
            "content": {CONTENT_TYPE: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
            **({"headers": PROBLEM_HEADERS[code]} if code in PROBLEM_HEADERS else {}),
        }
        for code, (schema, description) in PROBLEM_RESPONSES.items()
    }
    for path, item in result["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for code in problem_codes(path, operation):
                operation["responses"].setdefault(code, {"$ref": f"#/components/responses/{code}"})
    return result
