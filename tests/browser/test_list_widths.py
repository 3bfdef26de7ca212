"""The list pages at 1280 px (key columns in view) and at 390 px (cards, no sideways scroll)."""

from __future__ import annotations

from typing import Any

import factory
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import url
from tests.browser.test_cluster_live_updates import log_in_as
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.jobs.factories import SparkJobFactory
from tests.keys.factories import SSHKeyFactory
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

#: Per page, the table and the columns that must stay in view at 1280 px.
KEY_COLUMNS = {
    "dashboard": [
        ("clusters-table", ["Cluster", "Status", "Expires"]),
        ("jobs-table", ["Identifier", "Last run", "Next run"]),
    ],
    "clusters-list": [("clusters-table", ["Cluster", "Status", "Expires"])],
    "jobs-list": [("jobs-table", ["Identifier", "Last run", "Next run"])],
    "keys-list": [("keys-table", ["Title", "Type", "Fingerprint"])],
}


@pytest.fixture
def owner(page: Page, live_server: Any, client: Any) -> Any:
    owner = UserFactory()
    key = SSHKeyFactory(created_by=owner, title="a-rather-long-key-title-for-a-small-phone-screen")
    release = EMRReleaseFactory()
    ClusterFactory.create_batch(
        30,
        created_by=owner,
        ssh_key=key,
        emr_release=release,
        identifier=factory.Sequence(lambda n: f"a-long-cluster-name-number-{n}"),
    )
    SparkJobFactory.create_batch(
        30,
        created_by=owner,
        emr_release=release,
        identifier=factory.Sequence(lambda n: f"a-long-job-name-{n}"),
    )
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    owner.console_errors = errors
    log_in_as(page, client, live_server.url, owner)
    return owner


@pytest.mark.parametrize("name", list(KEY_COLUMNS))
def test_the_key_columns_stay_in_view_at_1280_px(page: Page, live_server: Any, owner: Any, name: str) -> None:
    page.goto(url(live_server.url, name))
    for testid, columns in KEY_COLUMNS[name]:
        table = page.get_by_test_id(testid)
        for column in columns:
            header = table.get_by_role("columnheader", name=column)
            box = header.bounding_box()
            assert box is not None and box["x"] + box["width"] <= 1280, (testid, column)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert owner.console_errors == []


@pytest.mark.parametrize("name", list(KEY_COLUMNS))
def test_the_lists_turn_into_cards_on_a_phone(page: Page, live_server: Any, owner: Any, name: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url(live_server.url, name))
    for testid, columns in KEY_COLUMNS[name]:
        table = page.get_by_test_id(testid)
        expect(table.locator("thead")).to_be_hidden()
        cell = table.locator(f'td[data-label="{columns[0]}"]').first
        assert cell.evaluate("cell => getComputedStyle(cell).display") == "block"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert owner.console_errors == []
