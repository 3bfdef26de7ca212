"""The webhooks page and /api/v1/webhooks/: the owner manages their endpoints; nobody else sees them."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from atmo.notifications import Event
from atmo.notifications.forms import MESSAGES
from atmo.notifications.models import WebhookEndpoint
from tests.api.conftest import assert_problem
from tests.jobs.factories import SparkJobFactory
from tests.notifications.factories import WebhookEndpointFactory
from tests.notifications.helpers import cluster_expiring

pytestmark = pytest.mark.django_db


def form_data(**values: Any) -> dict[str, Any]:
    data = {"name": "team channel", "target_url": "https://hooks.example.com/x", "format": "slack", **values}
    data.setdefault("events", [Event.RUN_FAILED, Event.JOB_EXPIRED])
    return {f"webhook-{name}": value for name, value in data.items()}


def test_the_owner_adds_one_and_is_shown_its_secret_once(client_for: Any, user: Any) -> None:
    client = client_for(user)
    response = client.post(reverse("webhooks-list"), form_data())
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get(created_by=user)
    assert (endpoint.name, endpoint.format, endpoint.events) == (
        "team channel",
        "slack",
        ["run.failed", "job.expired"],
    )
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in client.get(endpoint.get_absolute_url()).content.decode()
    assert endpoint.secret not in client.get(reverse("webhooks-list")).content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/x", MESSAGES["private"] % {"host": "127.0.0.1"}),
        ("http://10.0.0.1/x", MESSAGES["private"] % {"host": "10.0.0.1"}),
        ("http://169.254.169.254/latest/", MESSAGES["private"] % {"host": "169.254.169.254"}),
        ("http://localhost/x", MESSAGES["private"] % {"host": "localhost"}),
        ("ftp://hooks.example.com/x", MESSAGES["scheme"]),
    ],
)
def test_the_form_refuses_a_url_it_will_not_call(client_for: Any, user: Any, url: str, message: str) -> None:
    response = client_for(user).post(reverse("webhooks-list"), form_data(target_url=url))
    assert response.status_code == 200
    assert message in response.context["form"].errors["target_url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_a_job_endpoint_is_for_one_of_the_users_own_jobs(client_for: Any, user: Any, user2: Any) -> None:
    theirs = SparkJobFactory(created_by=user2)
    client = client_for(user)
    response = client.post(reverse("webhooks-list"), form_data(spark_job=theirs.pk))
    assert "spark_job" in response.context["form"].errors
    mine = SparkJobFactory(created_by=user, identifier="mine")
    response = client.post(
        reverse("webhooks-list"), form_data(spark_job=mine.pk, events=[Event.CLUSTER_EXPIRING])
    )
    assert response.context["form"].errors["events"]
    assert client.post(reverse("webhooks-list"), form_data(spark_job=mine.pk)).status_code == 201


def test_the_owner_sees_the_deliveries_with_their_answers(client_for: Any, user: Any) -> None:
    endpoint = WebhookEndpointFactory(created_by=user)
    delivery = cluster_expiring(user)
    delivery.response_status, delivery.error, delivery.attempts = 503, "answered 503", 2
    delivery.save()
    page = client_for(user).get(endpoint.get_absolute_url())
    assert list(page.context["deliveries"]) == [delivery]
    assert "answered 503" in page.content.decode()


def test_another_user_can_neither_see_nor_change_an_endpoint_on_the_pages(
    client_for: Any, user: Any, user2: Any
) -> None:
    endpoint = WebhookEndpointFactory(created_by=user, name="alices hook")
    cluster_expiring(user)
    client = client_for(user2)
    assert "alices hook" not in client.get(reverse("webhooks-list")).content.decode()
    assert client.get(endpoint.get_absolute_url()).status_code == 404
    assert client.post(reverse("webhooks-delete", args=[endpoint.pk])).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_owner_deletes_an_endpoint(client_for: Any, user: Any) -> None:
    endpoint = WebhookEndpointFactory(created_by=user)
    response = client_for(user).post(reverse("webhooks-delete", args=[endpoint.pk]))
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_the_api_adds_one_through_the_same_form_and_answers_the_secret_once(api: Any, user: Any) -> None:
    response = api.post(
        "/api/v1/webhooks/",
        {
            "name": "ci",
            "target_url": "https://hooks.example.com/ci",
            "format": "json",
            "events": ["run.failed"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    endpoint = WebhookEndpoint.objects.get(created_by=user)
    assert body["secret"] == endpoint.secret and body["events"] == ["run.failed"]
    assert "secret" not in api.get(body["url"]).json()
    refused = api.post(
        "/api/v1/webhooks/",
        {"name": "x", "target_url": "http://10.0.0.1/", "events": ["run.failed"]},
        format="json",
    )
    problem = assert_problem(refused, 400)
    assert problem["errors"] == [
        {"detail": MESSAGES["private"] % {"host": "10.0.0.1"}, "pointer": "#/target_url"}
    ]


def test_the_api_lists_the_deliveries_of_an_endpoint(api: Any, user: Any) -> None:
    endpoint = WebhookEndpointFactory(created_by=user)
    delivery = cluster_expiring(user)
    listed = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()
    assert [(d["id"], d["event"], d["outcome"]) for d in listed] == [
        (str(delivery.pk), "cluster.expiring", "pending")
    ]


def test_another_user_can_neither_see_nor_change_an_endpoint_through_the_api(
    api_for: Any, user: Any, user2: Any
) -> None:
    endpoint = WebhookEndpointFactory(created_by=user)
    cluster_expiring(user)
    client = api_for(user2)
    assert client.get("/api/v1/webhooks/").json()["results"] == []
    missing = f"There is no webhook with the id {endpoint.pk}."
    for method, path in [
        ("get", f"/api/v1/webhooks/{endpoint.pk}/"),
        ("get", f"/api/v1/webhooks/{endpoint.pk}/deliveries/"),
        ("delete", f"/api/v1/webhooks/{endpoint.pk}/"),
    ]:
        assert_problem(getattr(client, method)(path), 404, missing)
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_a_read_only_token_cannot_add_or_delete(api_for: Any, user: Any) -> None:
    endpoint = WebhookEndpointFactory(created_by=user)
    client = api_for(user, "read")
    assert_problem(client.delete(f"/api/v1/webhooks/{endpoint.pk}/"), 403)
    assert_problem(client.post("/api/v1/webhooks/", {}, format="json"), 403)
    assert client.get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 200
