"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from constance import config as live
from django_redis import get_redis_connection

from atmo import provisioners
from tests.aws import AWSStubs, stubbed_aws
from tests.users.factories import UserFactory


@pytest.fixture(autouse=True)
def clean_redis() -> Iterator[None]:
    """Every test starts with an empty Redis (cache, sessions, live settings, schedule)."""
    connection = get_redis_connection("default")
    connection.flushdb()
    yield
    connection.flushdb()


@pytest.fixture(autouse=True)
def fresh_aws_clients() -> Iterator[None]:
    """Every test gets AWS clients of its own: a Stubber or a patch on a shared one stays in its test."""
    provisioners.forget_clients()
    yield
    provisioners.forget_clients()


@pytest.fixture
def user(db: Any) -> Any:
    """Alice, who owns what a test makes unless it says otherwise."""
    return UserFactory(username="alice@example.com")


@pytest.fixture
def user2(db: Any) -> Any:
    """Bob, another user."""
    return UserFactory(username="bob@example.com")


@pytest.fixture
def client_for(client: Any) -> Any:
    """``client_for(user)``: the test client, logged in as ``user``."""

    def log_in(some_user: Any) -> Any:
        client.force_login(some_user)
        return client

    return log_in


@pytest.fixture
def live_setting() -> Any:
    """``live_setting(NAME=value, ...)``: change constance values for one test."""

    def change(**values: Any) -> None:
        for name, value in values.items():
            setattr(live, name, value)

    return change


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[str]:
    """Base URL of a mock OpenID Connect provider running in a thread for the session.

    Any client id/secret is accepted, and the subject typed into its form becomes the
    ``email`` claim.
    """
    from localdev.oidc import serve_in_thread

    with serve_in_thread(port=0) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def oidc_settings(settings: Any, oidc_provider: str) -> Any:
    """Points the relying party (mozilla-django-oidc) at the mock provider for one test."""
    settings.OIDC_RP_CLIENT_ID = "atmo-browser-tests"
    settings.OIDC_RP_CLIENT_SECRET = "atmo-browser-tests-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{oidc_provider}/oauth2/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{oidc_provider}/oauth2/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{oidc_provider}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{oidc_provider}/jwks"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    # The mock's ID tokens carry no key id.
    settings.OIDC_VERIFY_KID = False
    return settings


@pytest.fixture
def aws() -> Iterator[AWSStubs]:
    """Every AWS client ATMO makes is stubbed; unexpected or leftover calls fail the test."""
    with stubbed_aws() as stubs:
        yield stubs
        stubs.assert_no_pending_responses()
