"""The local sign-in page is styled without any CDN."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests

# authlib (the provider's library) warns about itself on import.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    from localdev.oidc import serve_in_thread

    with serve_in_thread(port=0, user_claims=()) as server:
        yield f"http://localhost:{server.server_port}"


def test_the_sign_in_page_loads_nothing_from_another_host(provider: str) -> None:
    query = urlencode(
        {
            "client_id": "atmo",
            "redirect_uri": "http://localhost:8000/oidc/callback/",
            "response_type": "code",
            "scope": "openid email",
        }
    )
    response = requests.get(f"{provider}/oauth2/authorize?{query}", timeout=10)

    assert response.status_code == 200
    page = response.text
    assert "Sign in to ATMO" in page
    assert 'name="sub"' in page and ">Authorize</button>" in page  # the provider's own form fields
    assert "<style>" in page
    assert "cdn." not in page and "https://" not in page
    assert 'name="viewport"' in page


def test_its_error_page_loads_nothing_from_another_host(provider: str) -> None:
    response = requests.get(f"{provider}/oauth2/authorize", timeout=10)

    assert response.status_code >= 400
    assert "cdn." not in response.text
