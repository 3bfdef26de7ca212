"""The user's webhook endpoints: list, add, show, delete, and their latest deliveries."""

from __future__ import annotations

from functools import partial
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from atmo.api.endpoints.common import ObjectViewSet
from atmo.api.forms_bridge import bind, valid
from atmo.api.schema import form_request
from atmo.api.serializers import (
    NewWebhookEndpointSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
)
from atmo.notifications.forms import WebhookEndpointForm
from atmo.notifications.models import WebhookEndpoint


class WebhookEndpointViewSet(ObjectViewSet[WebhookEndpoint]):
    """The user's own webhook endpoints (another user's is a 404, as one that does not exist)."""

    serializer_class = WebhookEndpointSerializer

    def get_queryset(self) -> Any:
        return WebhookEndpoint.objects.filter(created_by=self.request.user)

    def get_object(self) -> WebhookEndpoint:
        pk = self.kwargs["id"]
        endpoint = self.get_queryset().filter(pk=pk).first()
        if endpoint is None:
            # The words of every other resource: the API does not tell whose ids exist.
            raise exceptions.NotFound(f"There is no webhook with the id {pk}.")
        return endpoint

    def list(self, request: Request) -> Response:
        """The user's endpoints, newest first."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=form_request(WebhookEndpointForm), responses={201: NewWebhookEndpointSerializer})
    def create(self, request: Request) -> Response:
        """Add an endpoint; the answer holds its signing secret, which is never shown again."""
        endpoint = valid(bind(partial(WebhookEndpointForm, request.user), request)).save()
        data = NewWebhookEndpointSerializer(endpoint, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": str(data["url"])})

    def retrieve(self, request: Request, id: int) -> Response:
        """One endpoint."""
        return Response(self.get_serializer(self.get_object()).data)

    def destroy(self, request: Request, id: int) -> Response:
        """Delete an endpoint and its deliveries: nothing more is sent to it."""
        self.get_object().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, id: int) -> Response:
        """The endpoint's newest 50 deliveries, newest first, with the receiver's answers."""
        endpoint = self.get_object()
        return Response(WebhookDeliverySerializer(endpoint.recent_deliveries(), many=True).data)
