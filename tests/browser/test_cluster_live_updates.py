"""A cluster's page and the dashboard follow the cluster's state without a reload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from atmo.clusters.models import Cluster
from tests.browser.helpers import url
from tests.clusters.factories import ClusterFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

MASTER = "ec2-203-0-113-7.us-west-2.compute.amazonaws.com"


@pytest.fixture
def fast_polling(settings: Any, page: Page) -> Iterator[None]:
    settings.ATMO_POLL_INTERVAL = 0.3
    yield
    # Stop the polling before the database is emptied: a request still arriving
    # while the tables are truncated can deadlock with the truncation (PostgreSQL).
    page.goto("about:blank")


def log_in_as(page: Page, client: Any, live_server_url: str, user: Any) -> None:
    """Hands the browser a session of ``user`` (the SSO journey has its own test)."""
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server_url}])


def become_ready(cluster: Cluster) -> None:
    cluster.most_recent_status = Cluster.STATUS_WAITING
    cluster.master_address = MASTER
    cluster.ready_at = timezone.now()
    cluster.save()


def mark_page(page: Page) -> None:
    # Survives only as long as the page is not reloaded.
    page.evaluate("window.__sameDocument = true")


def assert_same_page(page: Page) -> None:
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("#page-modified")).to_be_hidden()


def test_the_detail_page_shows_the_access_commands_once_the_cluster_is_ready(
    page: Page, live_server: Any, client: Any, fast_polling: None
) -> None:
    owner = UserFactory()
    cluster = ClusterFactory(created_by=owner, starting=True)
    log_in_as(page, client, live_server.url, owner)

    page.goto(url(live_server.url, "clusters-detail", cluster.pk))
    expect(page.get_by_test_id("starting")).to_contain_text("this page updates by itself")
    mark_page(page)

    become_ready(cluster)

    expect(page.locator("#ssh-command")).to_have_text(f"ssh hadoop@{MASTER}")
    expect(page.get_by_test_id("status")).to_have_text("Ready")
    expect(page.get_by_test_id("starting")).to_have_count(0)
    assert_same_page(page)


def poll_statuses(page: Page) -> list[int]:
    """The statuses of the live poller's answers (htmx sends HX-Target: live-poller), as they come."""
    statuses: list[int] = []

    def note(response: Any) -> None:
        if response.request.headers.get("hx-target") == "live-poller":
            statuses.append(response.status)

    page.on("response", note)
    return statuses


def test_an_unchanged_cluster_costs_304s_and_polling_stops_once_it_ended(
    page: Page, live_server: Any, client: Any, fast_polling: None
) -> None:
    owner = UserFactory()
    cluster = ClusterFactory(created_by=owner, starting=True)
    log_in_as(page, client, live_server.url, owner)
    statuses = poll_statuses(page)
    page.goto(url(live_server.url, "clusters-detail", cluster.pk))
    mark_page(page)
    expect(page.locator("#live-poller")).to_have_attribute("data-live", "polling")
    page.wait_for_timeout(1500)
    # The page's poller knows the version it shows: unchanged, every answer is a 304, the DOM untouched.
    assert statuses and set(statuses) == {304}
    cluster.most_recent_status = Cluster.STATUS_TERMINATED
    cluster.save()
    expect(page.get_by_test_id("status")).to_have_text("Terminated")
    expect(page.locator("#live-poller")).to_have_attribute("data-live", "final")
    polls = len(statuses)
    page.wait_for_timeout(1500)
    assert len(statuses) == polls  # no more polls
    assert_same_page(page)


def test_the_dashboard_updates_a_clusters_status_in_place(
    page: Page, live_server: Any, client: Any, fast_polling: None
) -> None:
    owner = UserFactory()
    cluster = ClusterFactory(created_by=owner, starting=True, identifier="live-curie")
    log_in_as(page, client, live_server.url, owner)

    page.goto(url(live_server.url, "dashboard"))
    row = page.get_by_role("row").filter(has_text="live-curie")
    expect(row.get_by_test_id("status")).to_have_text("Starting")
    mark_page(page)

    become_ready(cluster)

    expect(row.get_by_test_id("status")).to_have_text("Ready")
    assert_same_page(page)
