"""What every endpoint shares: object access as on the pages, AWS failures, state filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status, viewsets
from rest_framework.request import Request

from atmo.access import model_permission
from atmo.models import JobFlowModel, JobFlowState
from atmo.provisioners import AWSError, describe_aws_failure, is_transient
from atmo.tombstones import ObjectGone

Row = TypeVar("Row", bound=models.Model)

#: ``?state=`` takes a state, or one of these groups of states.
STATE_GROUPS = {"active": JobFlowModel.ACTIVE, "final": JobFlowModel.FINAL}
STATE_PARAMETER = OpenApiParameter(
    "state",
    str,
    description="Only those in this state (e.g. `WAITING`), or in a group of states: `active` or `final`.",
    enum=[*STATE_GROUPS, *JobFlowState.values],
)


class ObjectViewSet(viewsets.GenericViewSet[Row]):
    """A resource whose objects are ``<resource>/<int:id>/``."""

    lookup_url_kwarg = "id"
    lookup_value_converter = "int"


class Conflict(exceptions.APIException):
    """The object is not in a state that allows the action (e.g. extending a terminated cluster)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object's state does not allow this."


class Gone(exceptions.APIException):
    """The object was deleted (told only to its owner; anybody else gets a 404)."""

    status_code = status.HTTP_410_GONE
    default_detail = "The object was deleted."


class AWSUnavailable(exceptions.APIException):
    """AWS throttled or could not be reached: trying again soon may work."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


class AWSRefused(exceptions.APIException):
    """AWS refused the request."""

    status_code = status.HTTP_502_BAD_GATEWAY


def aws_failure(exc: AWSError, what_failed: str, outcome: str = "") -> exceptions.APIException:
    """The API error of an AWS failure, worded as the pages word it."""
    return aws_error(exc, str(describe_aws_failure(exc, what_failed, outcome)))


def aws_error(exc: AWSError, detail: str) -> exceptions.APIException:
    """503 when trying again soon may work (throttled, unreachable), else 502."""
    return AWSUnavailable(detail) if is_transient(exc) else AWSRefused(detail)


def object_for(
    request: Request, getter: Callable[[Any, int, str], Row], pk: int, action: str, label: str
) -> Row:
    """The row ``getter`` finds (the pages' own access helper), if the user may ``action`` it.

    A row the user may not even see is answered as a missing one, with the same
    words: the API does not tell whose ids exist. A row the user may see but not
    change (a maintainer looking at a job) is a 403.
    """
    try:
        row = getter(request, pk, "view")
    except ObjectGone as gone:
        raise Gone(str(gone)) from None
    except (Http404, PermissionDenied):
        raise exceptions.NotFound(f"There is no {label} with the id {pk}.") from None
    if action != "view" and not request.user.has_perm(model_permission(type(row), action), row):
        raise exceptions.PermissionDenied(f"You may see this {label}, but not {action} it.")
    return row


def filter_state(queryset: models.QuerySet[Row], request: Request, field: str) -> models.QuerySet[Row]:
    """``queryset`` narrowed by ``?state=`` on ``field``; a state that does not exist is a 400."""
    value = request.query_params.get("state")
    if not value:
        return queryset
    if value in STATE_GROUPS:
        return queryset.filter(**{f"{field}__in": STATE_GROUPS[value]})
    if value.upper() in JobFlowState.values:
        return queryset.filter(**{field: value.upper()})
    choices = ", ".join([*STATE_GROUPS, *JobFlowState.values])
    raise exceptions.ValidationError({"state": [f"Unknown state {value[:50]!r}; choose one of {choices}."]})
