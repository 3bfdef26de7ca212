"""Steps that many browser journeys share."""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Page, expect

#: Where the documentation's screenshots live (``make screenshots`` re-takes them).
DOCS_SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def docs_screenshot(page: Page, name: str) -> None:
    """Saves the page as ``docs/screenshots/<name>.png``, only when ``ATMO_SCREENSHOTS=1``."""
    if os.environ.get("ATMO_SCREENSHOTS") != "1":
        return
    DOCS_SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOT_DIR / f"{name}.png"), full_page=True, animations="disabled")


def url(live_server_url: str, name: str, *args: object) -> str:
    """The absolute live-server URL of a named route."""
    return f"{live_server_url.rstrip('/')}{reverse(name, args=args or None)}"


def log_in(page: Page, live_server_url: str, email: str) -> None:
    """Logs in through the mock OIDC provider as ``email`` and waits for the dashboard.

    Needs the ``oidc_settings`` fixture, so that the sign-in link leads to the mock.
    """
    page.goto(url(live_server_url, "users-login"))
    page.get_by_test_id("sign-in").click()
    # The provider's authorization form: the subject typed here becomes the email claim.
    sub = page.locator('input[name="sub"]')
    expect(sub).to_be_visible()
    sub.fill(email)
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page).to_have_url(re.compile("^" + re.escape(url(live_server_url, "dashboard")) + r"(\?.*)?$"))
    expect(page.get_by_test_id("logged-in-as")).to_be_visible()


def mark_document(page: Page) -> None:
    """Marks the current document, so that `assert_same_document` can tell it was not reloaded."""
    # A property of this document: gone if the page is reloaded or navigated.
    page.evaluate("window.__journeyDocument = true")


def assert_same_document(page: Page) -> None:
    """The page is still the document `mark_document` marked, updated in place."""
    assert page.evaluate("window.__journeyDocument") is True
    # The live regions were swapped in: no "reload to see the latest state" hint.
    expect(page.locator("#page-modified")).to_be_hidden()
