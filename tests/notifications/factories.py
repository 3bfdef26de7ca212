"""factory_boy factories of webhook endpoints."""

from __future__ import annotations

import factory

from atmo.notifications import Event
from atmo.notifications.models import WebhookEndpoint
from tests.users.factories import UserFactory


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """A JSON endpoint of every event, at a public address (nothing is sent unless a test delivers)."""

    created_by = factory.SubFactory(UserFactory)
    name = "team service"
    target_url = "https://hooks.example.com/atmo"
    format = WebhookEndpoint.Format.JSON
    events = factory.LazyFunction(lambda: list(Event.values))

    class Meta:
        model = WebhookEndpoint
