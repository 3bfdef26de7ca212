"""An analyst logs in through single sign-on, sees the dashboard, and logs out again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in, url

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "analyst@example.com"


def _exactly(address: str) -> re.Pattern[str]:
    """Matches ``address`` with an optional query string (e.g. ``?next=/``)."""
    return re.compile("^" + re.escape(address) + r"(\?.*)?$")


def test_log_in_and_out(page: Page, live_server: Any, oidc_settings: Any) -> None:
    dashboard = url(live_server.url, "dashboard")
    login_page = url(live_server.url, "users-login")

    log_in(page, live_server.url, EMAIL)

    assert page.url == dashboard
    expect(page.get_by_test_id("logged-in-as")).to_have_text(f"Logged in as {EMAIL}")
    # The first login created the account, named after the full address.
    user = get_user_model().objects.get(email=EMAIL)
    assert user.username == EMAIL

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(_exactly(login_page))
    expect(page.get_by_test_id("sign-in")).to_be_visible()
    expect(page.get_by_test_id("logged-in-as")).to_have_count(0)

    # The session is gone: the dashboard sends the visitor back to the login page.
    page.goto(dashboard)
    expect(page).to_have_url(_exactly(login_page))
    assert "next=" in page.url
    expect(page.get_by_test_id("sign-in")).to_be_visible()
