"""Harness for the end-to-end tests: a real Chromium, the live server and a local OIDC provider.

Every test in this folder is marked ``browser`` (``pytest -m "not browser"`` leaves them
out) and is skipped, with the reason, on a machine without Debian's chromium package.
Playwright drives that system browser; its own browser downloads are never used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, expect, sync_playwright

from tests.browser.local_stack import POLL_INTERVAL, BeatTask, LocalStack, running_local_stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
#: Milliseconds any single Playwright action or assertion may wait.
DEFAULT_TIMEOUT_MS = 10_000
SCREENSHOT_DIR = "test-results"

HERE = Path(__file__).resolve().parent


# authlib (the mock provider's library) forces its own deprecation warnings to "always"
# when it is imported, which beats pytest.ini's filters; a per-test mark still wins.
QUIET_AUTHLIB = pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning")


def _in_this_folder(item: pytest.Item) -> bool:
    return HERE in Path(item.path).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest hook sees every collected item of the session, not only this folder's.
    skip = None
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(
            reason=f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)"
        )
    for item in items:
        if not _in_this_folder(item):
            continue
        item.add_marker(pytest.mark.browser)
        item.add_marker(QUIET_AUTHLIB)
        if skip is not None:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item (``rep_setup``, ``rep_call``) for the fixtures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    """Playwright's driver, for as long as this folder's tests run.

    Sync Playwright leaves an asyncio loop marked as running in the main thread until it
    is stopped. Django then refuses ORM calls from the test thread unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set, and django-constance hands out awaitable proxies
    instead of values. Both must not leak into the rest of the suite (pytest-django runs
    the transactional browser tests before the tests without a database), hence the
    package scope and the environment variable being put back afterwards.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        yield playwright
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """The system Chromium, headless, shared by this folder's tests."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}")
    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


def _screenshot_path(request: pytest.FixtureRequest) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.\-\[\]]+", "_", request.node.name)
    return Path(request.config.rootpath) / SCREENSHOT_DIR / f"{name}.png"


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page; a screenshot is kept if the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            path = _screenshot_path(request)
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(path), full_page=True)
            except Exception as exc:  # a failed screenshot must not hide the test failure
                print(f"could not save a screenshot to {path}: {exc}")
            else:
                print(f"screenshot of the failed test: {path}")
        context.close()


@pytest.fixture
def beat_tasks() -> Sequence[BeatTask] | None:
    """The periodic tasks the local stack's beat thread runs; None: the cluster sync only.

    A test module overrides this fixture to have more of the schedule run, e.g. the
    Spark job status sync.
    """
    return None


@pytest.fixture
def local_stack(
    settings: Any,
    live_server: Any,
    page: Page,
    monkeypatch: pytest.MonkeyPatch,
    beat_tasks: Sequence[BeatTask] | None,
) -> Iterator[LocalStack]:
    """The local stack behind the live server: local AWS, eager Celery tasks and a beat thread.

    See `tests.browser.local_stack`. The pages poll for changes every half second, and
    public result links point at the emulator's public data bucket.
    """
    settings.ATMO_POLL_INTERVAL = POLL_INTERVAL

    def stop_browser() -> None:
        # Keeps the page (and its DOM, for the failure screenshot) but stops its polling.
        page.context.route(f"{live_server.url}/**", lambda route: route.abort())

    with running_local_stack(live_server, monkeypatch, stop_browser, beat_tasks) as stack:
        # Public result links lead to the emulator's bucket, as they lead to S3 in production.
        settings.PUBLIC_DATA_URL = f"{stack.aws.endpoint_url}/{stack.aws.buckets.public_data}/"
        yield stack


@pytest.fixture
def csp_violations(page: Page) -> list[str]:
    """Console errors the page reports; a blocked inline script or style shows up here."""
    errors: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", collect)
    return errors
