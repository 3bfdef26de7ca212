"""A real delivery to a local HTTP server, checked as its receiver would check it."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from atmo.notifications.models import WebhookEndpoint
from atmo.notifications.tasks import deliver_webhook
from tests.notifications.factories import WebhookEndpointFactory
from tests.notifications.helpers import cluster_expiring

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_local")]


def receiver_accepts(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does with the secret: recompute, compare in constant time, refuse old ones."""
    timestamp = headers["X-ATMO-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamp)) <= tolerance
    return fresh and hmac.compare_digest(headers["X-ATMO-Signature"], f"sha256={expected}")


def test_a_delivery_reaches_the_receiver_signed(receiver: Any, user: Any) -> None:
    endpoint = WebhookEndpointFactory(created_by=user, target_url=receiver.url())
    delivery = cluster_expiring(user)

    assert deliver_webhook(str(delivery.pk)) == "delivered"

    (request,) = receiver.requests
    assert request.path == "/hook"
    assert receiver_accepts(endpoint.secret, request.headers, request.body)
    assert request.headers["X-ATMO-Event"] == "cluster.expiring"
    assert request.headers["X-ATMO-Delivery"] == str(delivery.pk)
    body = json.loads(request.body)
    assert body["event"] == "cluster.expiring" and body["id"] == str(delivery.pk)
    assert body["data"]["cluster"]["identifier"] == delivery.payload["cluster"]["identifier"]
    delivery.refresh_from_db()
    assert (delivery.outcome, delivery.response_status, delivery.attempts) == ("delivered", 200, 1)


def test_a_changed_body_or_another_secret_or_an_old_timestamp_fails_the_check(
    receiver: Any, user: Any
) -> None:
    endpoint = WebhookEndpointFactory(created_by=user, target_url=receiver.url())
    deliver_webhook(str(cluster_expiring(user).pk))
    (request,) = receiver.requests
    assert not receiver_accepts(endpoint.secret, request.headers, request.body + b" ")
    assert not receiver_accepts("whsec_other", request.headers, request.body)
    # The timestamp is signed: moving it (a replay made to look fresh) breaks the signature.
    moved = {**request.headers, "X-ATMO-Timestamp": str(int(request.headers["X-ATMO-Timestamp"]) + 1)}
    assert not receiver_accepts(endpoint.secret, moved, request.body)
    assert not receiver_accepts(endpoint.secret, request.headers, request.body, tolerance=-1)


def test_each_endpoint_has_its_own_secret(user: Any) -> None:
    first, second = WebhookEndpointFactory(created_by=user), WebhookEndpointFactory(created_by=user)
    assert first.secret.startswith("whsec_") and len(first.secret) > 40
    assert first.secret != second.secret


def test_a_slack_endpoint_gets_a_slack_message(receiver: Any, user: Any) -> None:
    endpoint = WebhookEndpointFactory(
        created_by=user, target_url=receiver.url(), format=WebhookEndpoint.Format.SLACK
    )
    delivery = cluster_expiring(user)
    deliver_webhook(str(delivery.pk))
    (request,) = receiver.requests
    message = json.loads(request.body)
    assert set(message) == {"text"}
    assert message["text"].startswith(f"Cluster {delivery.payload['cluster']['identifier']} expires at ")
    assert f"<{delivery.payload['cluster']['web_url']}|Open in ATMO>" in message["text"]
    assert receiver_accepts(endpoint.secret, request.headers, request.body)
