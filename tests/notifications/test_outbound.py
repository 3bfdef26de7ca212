"""Outbound requests: no private, loopback or link-local address unless an operator allows the host;
the connection goes to the address checked; no redirect is followed; failures are retried by Celery."""

from __future__ import annotations

import socket
from typing import Any
from unittest import mock

import pytest

from atmo.notifications.delivery import DeliveryError, checked_address
from atmo.notifications.models import MAX_ATTEMPTS
from atmo.notifications.tasks import deliver_webhook
from tests.notifications.factories import WebhookEndpointFactory
from tests.notifications.helpers import cluster_expiring

pytestmark = pytest.mark.django_db

REAL_GETADDRINFO = socket.getaddrinfo


def resolving(names: dict[str, str]) -> Any:
    """``socket.getaddrinfo`` (the resolver's seam) with ``names`` answered by the given addresses."""

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    return mock.patch("socket.getaddrinfo", side_effect=getaddrinfo)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/hook",
        "http://[::1]/hook",
        "http://private.example.test/hook",
    ],
)
def test_a_non_public_address_is_refused_and_given_up(receiver: Any, user: Any, url: str) -> None:
    WebhookEndpointFactory(created_by=user, target_url=url.format(port=receiver.port))
    delivery = cluster_expiring(user)
    with resolving({"private.example.test": "10.1.2.3"}):
        assert deliver_webhook(str(delivery.pk)) == "failed"
    delivery.refresh_from_db()
    assert delivery.error.startswith("refused: ") and "private, loopback or link-local" in delivery.error
    assert (delivery.attempts, delivery.response_status) == (1, None)
    assert receiver.requests == []


def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.1.20", port)),
        ]

    with mock.patch("socket.getaddrinfo", side_effect=getaddrinfo), pytest.raises(DeliveryError) as refused:
        checked_address("mixed.example.test", 443)
    assert "192.168.1.20" in str(refused.value) and not refused.value.transient


def test_an_allowed_host_is_reached_at_the_address_checked_with_its_name_kept(
    receiver: Any, user: Any, live_setting: Any
) -> None:
    live_setting(WEBHOOK_ALLOWED_HOSTS="chat.internal.test, other.test")
    WebhookEndpointFactory(created_by=user, target_url=receiver.url(host="chat.internal.test"))
    delivery = cluster_expiring(user)
    with resolving({"chat.internal.test": "127.0.0.1"}) as resolver:
        assert deliver_webhook(str(delivery.pk)) == "delivered"
    # The name is resolved once, by the check; the connection went to the address checked
    # (a literal, which the resolver hands back as it is), under the URL's name.
    assert [call.args[0] for call in resolver.call_args_list] == ["chat.internal.test", "127.0.0.1"]
    (request,) = receiver.requests
    assert request.headers["Host"] == f"chat.internal.test:{receiver.port}"


def test_the_allowance_is_per_host(receiver: Any, user: Any, live_setting: Any) -> None:
    live_setting(WEBHOOK_ALLOWED_HOSTS="chat.internal.test")
    WebhookEndpointFactory(created_by=user, target_url=receiver.url())  # 127.0.0.1 itself is not allowed
    assert deliver_webhook(str(cluster_expiring(user).pk)) == "failed"
    assert receiver.requests == []


@pytest.mark.usefixtures("allow_local")
def test_a_redirect_is_not_followed(receiver: Any, user: Any) -> None:
    WebhookEndpointFactory(created_by=user, target_url=receiver.url())
    receiver.answers = [(302, {"Location": receiver.url("/elsewhere")})]
    delivery = cluster_expiring(user)
    assert deliver_webhook(str(delivery.pk)) == "failed"
    assert [request.path for request in receiver.requests] == ["/hook"]
    delivery.refresh_from_db()
    assert delivery.response_status == 302 and "redirects are not followed" in delivery.error


@pytest.mark.usefixtures("allow_local")
def test_a_failing_receiver_is_retried_by_celery_until_it_answers(receiver: Any, user: Any) -> None:
    WebhookEndpointFactory(created_by=user, target_url=receiver.url())
    receiver.answers = [(503, {}), (500, {})]
    delivery = cluster_expiring(user)
    # apply(): the task as a worker runs it, its retries included (at once: no countdown when eager).
    result = deliver_webhook.apply(args=[str(delivery.pk)])
    assert result.get() == "delivered"
    assert len(receiver.requests) == 3
    assert len({request.headers["X-ATMO-Delivery"] for request in receiver.requests}) == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_status, delivery.error) == (3, 200, "")


@pytest.mark.usefixtures("allow_local")
def test_a_receiver_that_keeps_failing_is_given_up_after_the_last_attempt(receiver: Any, user: Any) -> None:
    WebhookEndpointFactory(created_by=user, target_url=receiver.url())
    receiver.answers = [(503, {})] * (MAX_ATTEMPTS + 2)
    delivery = cluster_expiring(user)
    assert deliver_webhook.apply(args=[str(delivery.pk)]).get() == "failed"
    assert len(receiver.requests) == MAX_ATTEMPTS
    delivery.refresh_from_db()
    assert (delivery.outcome, delivery.attempts, delivery.response_status) == ("failed", MAX_ATTEMPTS, 503)


@pytest.mark.usefixtures("allow_local")
def test_a_refusing_answer_is_not_retried(receiver: Any, user: Any) -> None:
    WebhookEndpointFactory(created_by=user, target_url=receiver.url())
    receiver.answers = [(404, {})]
    delivery = cluster_expiring(user)
    assert deliver_webhook.apply(args=[str(delivery.pk)]).get() == "failed"
    assert len(receiver.requests) == 1


def test_the_retries_are_celerys_own_with_backoff() -> None:
    assert deliver_webhook.autoretry_for and deliver_webhook.retry_backoff and deliver_webhook.retry_jitter
    assert deliver_webhook.retry_backoff_max == 600


@pytest.mark.usefixtures("allow_local")
def test_a_delivered_one_is_not_sent_again(receiver: Any, user: Any) -> None:
    WebhookEndpointFactory(created_by=user, target_url=receiver.url())
    delivery = cluster_expiring(user)
    deliver_webhook(str(delivery.pk))
    assert deliver_webhook(str(delivery.pk)) == "skipped"
    assert len(receiver.requests) == 1
