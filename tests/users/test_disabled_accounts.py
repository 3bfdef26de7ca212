"""Access ends with the account: a disabled account's sessions stop at once, with a page that says why."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from atmo.clusters.models import Cluster
from atmo.users.backends import ACCOUNT_DISABLED_MESSAGE, AtmoOIDCAuthenticationBackend
from atmo.users.sessions import ENDED_BY_DISABLING, end_sessions
from tests.clusters.factories import ClusterFactory, EMRReleaseFactory
from tests.keys.factories import SSHKeyFactory
from tests.users.factories import UserFactory
from tests.users.test_login import sign_in

pytestmark = pytest.mark.django_db

OIDC_BACKEND = "atmo.users.backends.AtmoOIDCAuthenticationBackend"
PASSWORD_BACKEND = "atmo.users.backends.BreakGlassModelBackend"
#: Every session engine Django ships: the check must not depend on which one runs.
SESSION_ENGINES = [
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
    "django.contrib.sessions.backends.signed_cookies",
]
#: The engines whose sessions can be found, and so emptied, when the account is disabled.
SEARCHABLE_ENGINES = SESSION_ENGINES[1:3]


@pytest.fixture
def analyst() -> Any:
    return UserFactory(username="carol@example.org")


@pytest.fixture
def superuser() -> Any:
    return UserFactory(username="root@example.org", is_staff=True, is_superuser=True)


def disable(user: Any) -> None:
    """Disable the account behind ATMO's back (a shell, a script): no session is touched."""
    user.is_active = False
    user.save(update_fields=["is_active"])


def assert_disabled_page(response: Any) -> None:
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your account is disabled" in body
    assert ACCOUNT_DISABLED_MESSAGE in body
    assert "Logged in as" not in body


@pytest.mark.parametrize("engine", SESSION_ENGINES)
@pytest.mark.parametrize("backend", [OIDC_BACKEND, PASSWORD_BACKEND])
def test_a_disabled_accounts_next_request_gets_the_disabled_page_not_the_dashboard(
    client: Any, settings: Any, analyst: Any, engine: str, backend: str
) -> None:
    settings.SESSION_ENGINE = engine
    client.force_login(analyst, backend=backend)
    assert client.get(reverse("dashboard")).status_code == 200

    disable(analyst)

    assert_disabled_page(client.get(reverse("dashboard")))
    # The page logged them out: from now on they are an anonymous visitor.
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users-login"))


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/"),
        ("head", "/"),  # the dashboard's polling
        ("get", "/clusters/new/"),
        ("get", "/jobs/new/"),
        ("get", "/keys/"),
        ("get", "/news/list/"),
        ("get", "/users/login/"),
        ("get", "/admin/"),
        ("post", "/clusters/new/"),
    ],
)
def test_every_page_refuses_a_disabled_accounts_session(
    client: Any, analyst: Any, method: str, path: str
) -> None:
    client.force_login(analyst, backend=OIDC_BACKEND)
    disable(analyst)
    response = getattr(client, method)(path)
    assert response.status_code == 403


def test_a_disabled_accounts_post_changes_nothing(client: Any, analyst: Any) -> None:
    key = SSHKeyFactory(created_by=analyst)
    release = EMRReleaseFactory()
    client.force_login(analyst, backend=OIDC_BACKEND)
    disable(analyst)
    data = {"new-identifier": "late-curie", "new-size": 1, "new-lifetime": 4}
    data |= {"new-ssh_key": key.pk, "new-emr_release": release.pk}
    assert client.post(reverse("clusters-new"), data).status_code == 403
    assert not Cluster.objects.exists()


def test_the_backends_no_longer_know_a_disabled_account(analyst: Any) -> None:
    backend = AtmoOIDCAuthenticationBackend()
    assert backend.get_user(analyst.pk) == analyst
    disable(analyst)
    assert backend.get_user(analyst.pk) is None


def change_form_data(client: Any, url: str, **changes: Any) -> dict[str, Any]:
    """What the admin's change form at ``url`` posts back as it is, with ``changes``."""
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = changes.get(name, form.initial.get(name))
        if field.disabled or value is None or value is False:
            continue
        if isinstance(value, list):
            value = [getattr(item, "pk", item) for item in value]
        data[name] = "on" if value is True else value
    return data


def session_of(client: Any) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(
        client.cookies[settings.SESSION_COOKIE_NAME].value
    )


@pytest.mark.parametrize("engine", SEARCHABLE_ENGINES)
def test_disabling_in_the_admin_empties_the_accounts_sessions_at_once(
    client: Any, settings: Any, analyst: Any, superuser: Any, engine: str
) -> None:
    settings.SESSION_ENGINE = engine
    analysts_browser = Client()
    analysts_browser.force_login(analyst, backend=OIDC_BACKEND)
    other_browser = Client()
    other_browser.force_login(UserFactory(), backend=OIDC_BACKEND)
    client.force_login(superuser, backend=OIDC_BACKEND)

    url = reverse("admin:auth_user_change", args=[analyst.pk])
    assert client.post(url, change_form_data(client, url, is_active=False)).status_code == 302
    analyst.refresh_from_db()
    assert not analyst.is_active

    session = session_of(analysts_browser)
    assert SESSION_KEY not in session
    assert session[ENDED_BY_DISABLING] is True
    assert SESSION_KEY in session_of(other_browser)  # nobody else is logged out
    assert_disabled_page(analysts_browser.get(reverse("dashboard")))
    assert not Session.objects.filter(
        session_key=analysts_browser.cookies[settings.SESSION_COOKIE_NAME].value
    )


def test_end_sessions_with_a_session_engine_that_cannot_be_searched_ends_none(
    settings: Any, analyst: Any
) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    assert end_sessions(analyst) == 0


def test_the_disable_action_disables_and_logs_out_the_selected_accounts(
    client: Any, settings: Any, analyst: Any, superuser: Any
) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    analysts_browser = Client()
    analysts_browser.force_login(analyst, backend=OIDC_BACKEND)
    client.force_login(superuser, backend=OIDC_BACKEND)

    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "disable_accounts", "_selected_action": [analyst.pk, superuser.pk]},
        follow=True,
    )

    analyst.refresh_from_db()
    superuser.refresh_from_db()
    assert not analyst.is_active
    assert superuser.is_active  # never one's own account
    body = response.content.decode()
    assert "Disabled and logged out: carol@example.org." in body
    assert "Left as they are (your own account, or one you may not change): root@example.org." in body
    assert ENDED_BY_DISABLING in session_of(analysts_browser)


def test_staff_who_are_not_superusers_cannot_disable_a_superuser(client: Any, superuser: Any) -> None:
    staff = UserFactory(username="helper@example.org", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client.force_login(staff, backend=OIDC_BACKEND)
    data = {"action": "disable_accounts", "_selected_action": [superuser.pk]}
    response = client.post(reverse("admin:auth_user_changelist"), data, follow=True)
    superuser.refresh_from_db()
    assert superuser.is_active
    assert "one you may not change): root@example.org." in response.content.decode()


def test_a_disabled_account_cannot_log_in_and_is_told_why(client: Any, oidc_settings: Any) -> None:
    UserFactory(username="dora@example.org", is_active=False)
    response = sign_in(client, "dora@example.org")
    assert response["Location"] == reverse("users-login-failed")
    page = client.get(response["Location"]).content.decode()
    assert ACCOUNT_DISABLED_MESSAGE in page
    assert "did not confirm who you are" not in page  # the old, misleading reason
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_cluster_of_a_disabled_account_is_not_touched_by_the_refusal(client: Any, analyst: Any) -> None:
    cluster = ClusterFactory(created_by=analyst)
    client.force_login(analyst, backend=OIDC_BACKEND)
    disable(analyst)
    before = Cluster.objects.values().get(pk=cluster.pk)
    assert client.post(reverse("clusters-terminate", args=[cluster.pk])).status_code == 403
    assert Cluster.objects.values().get(pk=cluster.pk) == before


def test_a_bearer_token_of_a_disabled_account_authenticates_nobody(client: Any, oidc_settings: Any) -> None:
    # What a token-authenticated API will do: mozilla-django-oidc's DRF
    # OIDCAuthentication hands the request's bearer token to the backend's
    # get_or_create_user, which asks the provider who it belongs to.
    oidc_settings.OIDC_STORE_ACCESS_TOKEN = True
    sign_in(client, "erin@example.org")
    access_token = client.session["oidc_access_token"]
    backend = AtmoOIDCAuthenticationBackend()
    erin = backend.get_or_create_user(access_token, None, None)
    assert erin is not None and erin.email == "erin@example.org"

    disable(erin)

    assert backend.get_or_create_user(access_token, None, None) is None
