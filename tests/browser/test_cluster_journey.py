"""An analyst's whole cluster journey, on the local stack.

Nothing is faked behind the pages: the SSH key is a real Ed25519 public key, the
cluster is requested from the local EMR emulator by the provisioning task, and its
states reach the database through the status sync (see `tests.browser.local_stack`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import assert_same_document, docs_screenshot, log_in, mark_document, url
from tests.browser.local_stack import LocalStack
from tests.clusters.factories import EMRReleaseFactory

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "analyst@example.com"
KEY_COMMENT = "analyst@laptop"
NEWEST_RELEASE = "7.2.0"
#: The emulator names masters ec2-127-0-X-Y.compute.localhost.
MASTER_DNS = re.compile(r"^ec2-127-0-\d+-\d+\.compute\.localhost$")
#: How a page shows a moment (always in UTC).
MOMENT_FORMAT = "%Y-%m-%d %H:%M"
MOMENT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")
#: Requested to ready takes about 2 s in the emulator, plus sync and polling delays.
READY_TIMEOUT_MS = 20_000
EXTENSION_HOURS = 2


OLD_RELEASE = "5.36.1"
OLD_RELEASE_HELP = "Spark 2, for notebooks not yet moved to Spark 3. Going away next quarter."


@pytest.fixture
def emr_releases(transactional_db: None) -> None:
    # Released out of order, so that "first" must come from the version sort.
    EMRReleaseFactory(version="6.15.0", changelog_url="")
    EMRReleaseFactory(
        version=NEWEST_RELEASE,
        changelog_url="https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-720-release.html",
    )
    EMRReleaseFactory(version=OLD_RELEASE, is_deprecated=True, help_text=OLD_RELEASE_HELP, changelog_url="")


def ed25519_public_key(comment: str) -> tuple[str, str]:
    """A fresh OpenSSH public key line and its SHA256 fingerprint, as ``ssh-keygen -l`` shows it."""
    public = Ed25519PrivateKey.generate().public_key()
    line = public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    blob = base64.b64decode(line.split()[1])
    fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"{line} {comment}", fingerprint


def paste(page: Page, field: Locator, text: str) -> None:
    """Pastes ``text`` into ``field`` through the clipboard, as a user does."""
    origin = re.match(r"^https?://[^/]+", page.url)
    assert origin is not None
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin.group(0))
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    field.click()
    page.keyboard.press("ControlOrMeta+V")
    expect(field).to_have_value(text)


def fact(page: Page, name: str) -> Locator:
    """The value next to ``name`` in the cluster page's facts list."""
    return page.get_by_label("Cluster facts").locator(
        f"xpath=.//dt[normalize-space()='{name}']/following-sibling::dd[1]"
    )


def timeline_entry(page: Page, label: str) -> Locator:
    return (
        page.get_by_test_id("timeline")
        .get_by_role("listitem")
        .filter(has=page.get_by_text(label, exact=True))
    )


def clusters_row(page: Page, identifier: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=identifier, exact=True))


def test_an_analyst_adds_a_key_then_launches_extends_and_terminates_a_cluster(
    page: Page, live_server: Any, oidc_settings: Any, emr_releases: None, local_stack: LocalStack
) -> None:
    log_in(page, live_server.url, EMAIL)

    # 1. An SSH key, pasted; its comment becomes the suggested title.
    public_key, fingerprint = ed25519_public_key(KEY_COMMENT)
    page.goto(url(live_server.url, "keys-new"))
    paste(page, page.get_by_label("Public key"), public_key)
    expect(page.get_by_label("Title")).to_have_value(KEY_COMMENT)
    page.get_by_role("button", name="Add key").click()

    expect(page).to_have_url(url(live_server.url, "keys-list"))
    expect(page.get_by_role("alert").filter(has_text="added")).to_contain_text(f"Key {KEY_COMMENT} added.")
    key_row = page.get_by_test_id("keys-table").get_by_role("row").filter(has_text=KEY_COMMENT)
    expect(key_row).to_have_count(1)
    expect(key_row).to_contain_text("ED25519")
    expect(key_row).to_contain_text(fingerprint)
    docs_screenshot(page, "keys-list")

    # 2. A cluster, launched from the dashboard with what the form suggests.
    page.goto(url(live_server.url, "dashboard"))
    page.get_by_role("link", name="Launch a cluster").first.click()
    expect(page).to_have_url(url(live_server.url, "clusters-new"))
    identifier_field = page.get_by_label("Identifier")
    identifier = identifier_field.input_value()
    assert re.fullmatch(r"[a-z0-9-]+", identifier), identifier
    expect(page.get_by_label("Size")).to_have_value("1")
    expect(page.get_by_label("Lifetime in hours")).to_have_value("8")
    expect(page.get_by_role("radio", name=KEY_COMMENT)).to_be_checked()
    releases = page.get_by_role("group", name="EMR release").get_by_role("radio")
    expect(releases).to_have_count(3)
    expect(releases.first).to_have_accessible_name(NEWEST_RELEASE)
    expect(releases.first).to_have_accessible_description(f"What is in {NEWEST_RELEASE}")
    expect(releases.first).to_be_checked()
    # An operator's notes and badge tell the analyst what an old release is for.
    expect(releases.last).to_have_accessible_name(f"{OLD_RELEASE} deprecated")
    expect(releases.last).to_have_accessible_description(OLD_RELEASE_HELP)
    docs_screenshot(page, "cluster-new")

    # The sync waits until the page is seen starting; EMR (the emulator) moves on meanwhile.
    with local_stack.beat.paused():
        page.get_by_role("button", name="Launch").click()
        expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/clusters/\d+/$"))
        cluster_id = _cluster_id(page.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text(identifier)
        expect(page.get_by_role("alert").filter(has_text="requested")).to_contain_text(
            f"Cluster {identifier} requested."
        )
        # Provisioning ran (eagerly) before the redirect: EMR knows the cluster.
        expect(page.get_by_test_id("status")).to_have_text("Starting")
        expect(page.get_by_test_id("starting")).to_contain_text("this page updates by itself")
        expect(fact(page, "Jobflow ID")).to_have_text(re.compile(r"^j-[A-Z0-9]+$"))
        jobflow_id = fact(page, "Jobflow ID").inner_text()
        expect(fact(page, "SSH key").get_by_role("link")).to_have_text(KEY_COMMENT)
        expect(fact(page, "SSH key").get_by_test_id("key-fingerprint")).to_have_text(fingerprint)
        expect(fact(page, "EMR release")).to_contain_text(NEWEST_RELEASE)
        expect(timeline_entry(page, "Ready")).to_contain_text("not yet")
        docs_screenshot(page, "cluster-starting")
        mark_document(page)

    # 3. Ready, without a reload: the page swaps in its live regions.
    expect(page.get_by_test_id("status")).to_have_text("Ready", timeout=READY_TIMEOUT_MS)
    master = local_stack.emr().describe_cluster(ClusterId=jobflow_id)["Cluster"]["MasterPublicDnsName"]
    assert MASTER_DNS.match(master), master
    expect(page.locator("#ssh-command")).to_have_text(f"ssh hadoop@{master}")
    expect(page.get_by_test_id("access")).to_contain_text(f"with the SSH key {KEY_COMMENT}")
    expect(page.get_by_test_id("starting")).to_have_count(0)
    expect(fact(page, "Master address")).to_have_text(master)
    for label in ("Requested", "Started", "Ready"):
        expect(timeline_entry(page, label)).to_contain_text(MOMENT)
    expect(timeline_entry(page, "Finished")).to_contain_text("not yet")
    assert_same_document(page)
    docs_screenshot(page, "cluster-ready")

    # 4. Two more hours.
    expires_text = fact(page, "Expires").inner_text()
    expires = datetime.strptime(expires_text.removesuffix(" UTC"), MOMENT_FORMAT)
    new_expiry = f"{expires + timedelta(hours=EXTENSION_HOURS):{MOMENT_FORMAT}}"
    expect(fact(page, "Lifetime")).to_have_text("8 hours, extendable")
    page.get_by_role("link", name="Extend lifetime", exact=True).click()
    expect(page).to_have_url(url(live_server.url, "clusters-extend", cluster_id))
    page.get_by_label("Lifetime extension in hours").fill(str(EXTENSION_HOURS))
    page.get_by_role("button", name="Extend", exact=True).click()

    expect(page).to_have_url(url(live_server.url, "clusters-detail", cluster_id))
    expect(page.get_by_role("alert").filter(has_text="shuts down")).to_contain_text(
        f"Cluster {identifier} now shuts down at {new_expiry} UTC."
    )
    expect(fact(page, "Expires")).to_have_text(f"{new_expiry} UTC")
    expect(fact(page, "Lifetime")).to_have_text(
        f"8 hours + {EXTENSION_HOURS} hours (1 extension), extendable again"
    )
    expect(page.get_by_test_id("expiry")).to_contain_text(f"Automatic shutdown at {new_expiry} UTC")
    expect(page.get_by_test_id("status")).to_have_text("Ready")

    # 5. Terminated, after a confirmation; the page follows the shutdown by itself.
    page.get_by_role("link", name="Terminate now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Terminate {identifier} now?")
    with local_stack.beat.paused():
        page.get_by_role("button", name="Terminate now").click()
        expect(page.get_by_role("alert").filter(has_text="shutting down")).to_contain_text(
            f"Cluster {identifier} is shutting down."
        )
        expect(page.get_by_test_id("status")).to_have_text("Terminating")
        expect(page.get_by_role("status").filter(has_text="shutting down")).to_be_visible()
        mark_document(page)

    expect(page.get_by_test_id("status")).to_have_text("Terminated", timeout=READY_TIMEOUT_MS)
    expect(page.get_by_role("status").filter(has_text="not active anymore")).to_be_visible()
    expect(timeline_entry(page, "Finished")).to_contain_text(MOMENT)
    expect(page.locator("#ssh-command")).to_have_count(0)
    # Neither extending nor terminating makes sense any more: no such buttons, no expiry.
    for action in ("Extend lifetime", "Terminate now"):
        expect(page.get_by_role("link", name=action)).to_have_count(0)
    expect(fact(page, "Expires")).to_have_count(0)
    expect(fact(page, "Lifetime")).to_have_text(f"8 hours + {EXTENSION_HOURS} hours (1 extension)")
    assert_same_document(page)
    status = local_stack.emr().describe_cluster(ClusterId=jobflow_id)["Cluster"]["Status"]
    assert (status["State"], status["StateChangeReason"].get("Code")) == ("TERMINATED", "USER_REQUEST")

    # 6. The dashboard files it under "Terminated", no longer under "Active".
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page).to_have_url(url(live_server.url, "dashboard"))
    filters = page.get_by_role("group", name="Filter clusters")
    expect(filters.get_by_role("link", name="Active")).to_have_attribute("aria-current", "true")
    expect(clusters_row(page, identifier)).to_have_count(0)

    filters.get_by_role("link", name="Terminated").click()
    expect(filters.get_by_role("link", name="Terminated")).to_have_attribute("aria-current", "true")
    row = clusters_row(page, identifier)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("status")).to_have_text("Terminated")
    expect(row.get_by_test_id("lifetime")).to_have_text(f"8 hours + {EXTENSION_HOURS} hours (1 extension)")
    docs_screenshot(page, "dashboard")

    filters.get_by_role("link", name="Active").click()
    expect(filters.get_by_role("link", name="Active")).to_have_attribute("aria-current", "true")
    expect(clusters_row(page, identifier)).to_have_count(0)
    expect(page.get_by_test_id("clusters-empty")).to_contain_text("No active clusters.")

    assert local_stack.beat.errors == []


def _cluster_id(page_url: str) -> int:
    match = re.search(r"/clusters/(\d+)/", page_url)
    assert match is not None, page_url
    return int(match.group(1))
