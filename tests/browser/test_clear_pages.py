"""The main pages at a laptop's and a phone's width: no console error, no sideways scrolling.

Each page is loaded at 1280×800 and at 390×844 (an iPhone's viewport). Chromium
reports on the console what went wrong on its own: an invalid ``pattern``
attribute (it compiles them with the ``v`` flag), a missing file such as the
favicon, a script error, a blocked inline style. ``make screenshots`` keeps a
screenshot of each (docs/screenshots/pages-*.png, shown in docs/pages.rst).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from atmo.clusters.models import Cluster
from tests.browser.helpers import docs_screenshot, url
from tests.browser.test_job_pages import log_in_as, s3  # noqa: F401 (the job pages' S3 fixture)
from tests.browser.test_run_page import s3_outputs  # noqa: F401 (the run page's S3 fixture)
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory, SparkJobRunFactory
from tests.jobs.test_run_outcome import FAILED_OUTCOME
from tests.keys.factories import SSHKeyFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORTS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}


@dataclass
class Site:
    """What the pages show: one analyst's keys, clusters, job and runs."""

    owner: Any
    cluster: Cluster
    ended_cluster: Cluster
    job: Any
    run: Any


@pytest.fixture
def site() -> Site:
    owner = UserFactory(username="alice@example.com")
    release = EMRReleaseFactory(version="7.1.0", changelog_url="")
    key = SSHKeyFactory(created_by=owner, title="work laptop")
    SSHKeyFactory(created_by=owner, title="home desktop")
    now = timezone.now()
    cluster = ClusterFactory(
        created_by=owner,
        identifier="fearless-curie",
        ssh_key=key,
        emr_release=release,
        most_recent_status=Cluster.STATUS_WAITING,
        master_address="ec2-54-1-2-3.us-west-2.compute.amazonaws.com",
        jobflow_id="j-1A2B3C4D5E6F7",
        started_at=now - timedelta(minutes=20),
        ready_at=now - timedelta(minutes=12),
    )
    ended = ClusterFactory(
        created_by=owner,
        identifier="patient-hopper",
        ssh_key=key,
        emr_release=release,
        most_recent_status=Cluster.STATUS_TERMINATED,
        termination_reason=Cluster.TERMINATED_BY_OWNER,
        created_at=now - timedelta(hours=14),
        started_at=now - timedelta(hours=13, minutes=58),
        ready_at=now - timedelta(hours=13, minutes=50),
        finished_at=now - timedelta(hours=2),
        expires_at=now - timedelta(hours=2),
        lifetime=8,
        lifetime_extension_count=1,
        cost=Decimal("4.85"),
    )
    job = SparkJobFactory(created_by=owner, identifier="daily-report", emr_release=release)
    run = SparkJobRunFactory(
        spark_job=job,
        jobflow_id="j-GOOD",
        requested_by=owner,
        status="TERMINATED",
        started_at=now - timedelta(minutes=12),
        ready_at=now - timedelta(minutes=8),
        finished_at=now - timedelta(minutes=1),
        parameters={"country": "FR"},
        outcome={**FAILED_OUTCOME, "status": "succeeded", "failure": None, "files": ["counts.csv"]},
    )
    return Site(owner, cluster, ended, job, run)


#: The pages, by screenshot name: the route name and its arguments from the site's objects.
PAGES: dict[str, Callable[[Site], tuple[str, ...]]] = {
    "dashboard": lambda site: ("dashboard",),
    "dashboard-terminated": lambda site: ("dashboard",),
    "clusters": lambda site: ("clusters-list",),
    "clusters-all": lambda site: ("clusters-list",),
    "jobs": lambda site: ("jobs-list",),
    "cluster-new": lambda site: ("clusters-new",),
    "cluster-detail": lambda site: ("clusters-detail", site.cluster.pk),
    "cluster-ended": lambda site: ("clusters-detail", site.ended_cluster.pk),
    "cluster-extend": lambda site: ("clusters-extend", site.cluster.pk),
    "job-new": lambda site: ("jobs-new",),
    "job-edit": lambda site: ("jobs-edit", site.job.pk),
    "job-detail": lambda site: ("jobs-detail", site.job.pk),
    "run-detail": lambda site: ("jobs-run-detail", site.job.pk, site.run.pk),
    "keys": lambda site: ("keys-list",),
    "key-new": lambda site: ("keys-new",),
    "news": lambda site: ("news-list",),
}
QUERIES = {"dashboard-terminated": "?clusters=terminated", "clusters-all": "?state=all"}


def cases() -> Iterator[Any]:
    for name in PAGES:
        for width in VIEWPORTS:
            yield pytest.param(name, width, id=f"{name}-{width}")


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Everything Chromium reports as an error: console errors and uncaught exceptions."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def assert_fits(page: Page) -> None:
    """No sideways scrolling: the document is no wider than the window."""
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"the page scrolls sideways: {scroll_width}px in {inner_width}px"


@pytest.mark.parametrize(("name", "width"), list(cases()))
def test_the_page_loads_cleanly_and_fits_the_width(
    page: Page,
    live_server: Any,
    client: Any,
    site: Site,
    s3: None,  # noqa: F811
    s3_outputs: None,  # noqa: F811
    console_errors: list[str],
    name: str,
    width: str,
) -> None:
    page.set_viewport_size(VIEWPORTS[width])
    log_in_as(page, client, live_server.url, site.owner)

    response = page.goto(url(live_server.url, *PAGES[name](site)) + QUERIES.get(name, ""))
    page.wait_for_load_state("networkidle")

    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    docs_screenshot(page, f"pages-{name}-{width}")
    assert console_errors == []
    assert_fits(page)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_local_sign_in_page_loads_cleanly_and_fits_the_width(
    page: Page, live_server: Any, oidc_settings: Any, console_errors: list[str], width: str
) -> None:
    page.set_viewport_size(VIEWPORTS[width])
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url(live_server.url, "users-login"))
    page.get_by_test_id("sign-in").click()
    expect(page.locator('input[name="sub"]')).to_be_visible()
    page.wait_for_load_state("networkidle")

    # Styled by its own inline styles: nothing comes from a CDN.
    provider = oidc_settings.OIDC_OP_AUTHORIZATION_ENDPOINT.split("/oauth2/")[0]
    assert [request for request in requests if not request.startswith((live_server.url, provider))] == []
    assert (
        page.locator('input[name="sub"]').evaluate("input => getComputedStyle(input).borderRadius") != "0px"
    )
    docs_screenshot(page, f"pages-local-sign-in-{width}")
    assert console_errors == []
    assert_fits(page)


@pytest.mark.parametrize("width", [768, 1024, 1199, 1200])
def test_the_main_menu_fits_a_tablet_and_a_small_laptop(
    page: Page, live_server: Any, client: Any, site: Site, console_errors: list[str], width: int
) -> None:
    """Between phone and laptop: the menu is one line (or the menu button), never wider than the window."""
    page.set_viewport_size({"width": width, "height": 800})
    log_in_as(page, client, live_server.url, site.owner)
    page.goto(url(live_server.url, "dashboard"))
    assert page.locator("nav.navbar").evaluate("nav => nav.offsetHeight") < 64
    assert console_errors == []
    assert_fits(page)
