"""The API reference page (Swagger UI, from our own static files) renders under the site's CSP."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect


def test_the_reference_page_renders_every_resource(page: Page, live_server: Any) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    external: list[str] = []
    page.on(
        "request",
        lambda request: external.append(request.url) if not request.url.startswith(live_server.url) else None,
    )
    response = page.goto(f"{live_server.url}/api/v1/docs/")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="ATMO API")).to_be_visible()
    for path in ("/api/v1/clusters/", "/api/v1/jobs/{id}/run/", "/api/v1/ssh-keys/"):
        expect(page.get_by_text(path, exact=True).first).to_be_visible()
    assert external == []
    assert [text for text in violations if "script" in text] == []
