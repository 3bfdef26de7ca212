from __future__ import annotations

import re
from typing import Any
from unittest import mock

import pytest
import redis
from constance import config
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from atmo.views import permission_denied, server_error


@pytest.mark.django_db
def test_dashboard_requires_login(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/users/login/")


def test_dashboard_shows_the_logged_in_user(client_for: Any, user: Any) -> None:
    response = client_for(user).get("/")
    assert response.status_code == 200
    assert "Logged in as <strong>alice@example.com</strong>" in response.content.decode()


@pytest.mark.parametrize(
    "query, shown", [("", "active"), ("?clusters=failed", "failed"), ("?clusters=bogus", "active")]
)
def test_dashboard_cluster_filter_falls_back_to_active(
    client_for: Any, user: Any, query: str, shown: str
) -> None:
    response = client_for(user).get("/" + query)
    assert response.context["clusters_shown"] == shown


def test_dashboard_refuses_post(client_for: Any, user: Any) -> None:
    assert client_for(user).post("/").status_code == 405


@pytest.mark.django_db
def test_login_page_offers_single_sign_on(client: Any) -> None:
    body = client.get("/users/login/").content.decode()
    assert 'href="/oidc/authenticate/"' in body
    assert "Sign in with single sign-on" in body


@pytest.mark.django_db
def test_admin_sends_anonymous_visitors_to_the_sso_login(client: Any) -> None:
    to_admin_login = client.get("/admin/")["Location"]
    assert to_admin_login == "/admin/login/?next=/admin/"
    assert client.get(to_admin_login)["Location"] == "/oidc/authenticate/?next=%2Fadmin%2F"


def test_admin_is_for_staff_only(client_for: Any, user: Any) -> None:
    response = client_for(user).get("/admin/")
    assert response.status_code == 302  # to the admin login, which will not let them in
    user.is_staff = True
    user.is_superuser = True
    user.save()
    assert client_for(user).get("/admin/").status_code == 200


@pytest.mark.django_db
def test_missing_pages_render_the_404_template(client: Any) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "There is nothing here." in response.content.decode()


@pytest.mark.django_db
def test_permission_denied_shows_the_reason_with_status_403() -> None:
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = permission_denied(request, PermissionDenied("Not your cluster."))
    assert response.status_code == 403
    assert "Not your cluster." in response.content.decode()


def test_permission_denied_falls_back_without_its_default_template(settings: Any) -> None:
    settings.TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates"}]
    response = permission_denied(RequestFactory().get("/"), PermissionDenied())
    assert response.status_code == 403
    assert b"403 Forbidden" in response.content


def test_server_error_falls_back_without_its_default_template(settings: Any) -> None:
    settings.TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates"}]
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500


def test_a_missing_custom_error_template_is_a_programming_error(settings: Any) -> None:
    from django.template.exceptions import TemplateDoesNotExist

    with pytest.raises(TemplateDoesNotExist):
        server_error(RequestFactory().get("/"), template_name="nope.html")


@pytest.mark.django_db
def test_server_error_page_renders_with_status_500() -> None:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    response = server_error(request)
    assert response.status_code == 500
    assert "Something went wrong on our side." in response.content.decode()


def test_announcement_shows_on_every_page_when_enabled(client_for: Any, user: Any, live_setting: Any) -> None:
    live_setting(
        ANNOUNCEMENT_ENABLED=True,
        ANNOUNCEMENT_STYLE="warning",
        ANNOUNCEMENT_TITLE="Maintenance tonight",
        ANNOUNCEMENT_CONTENT="EMR is **down** from 22:00 UTC. <script>x()</script>",
        ANNOUNCEMENT_CONTENT_MARKDOWN=True,
    )
    client = client_for(user)
    for path in ["/", "/news/list/", "/users/login/"]:
        body = client.get(path).content.decode()
        assert 'class="alert alert-warning"' in body
        assert "Maintenance tonight" in body
        assert "<strong>down</strong>" in body
        assert "<script>x()" not in body


def test_announcement_text_is_escaped_without_markdown(client_for: Any, user: Any, live_setting: Any) -> None:
    live_setting(ANNOUNCEMENT_ENABLED=True, ANNOUNCEMENT_CONTENT="<b>bold</b>")
    body = client_for(user).get("/").content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in body


def test_announcement_is_hidden_when_disabled(client_for: Any, user: Any, live_setting: Any) -> None:
    live_setting(ANNOUNCEMENT_ENABLED=False, ANNOUNCEMENT_TITLE="Hidden")
    assert "Hidden" not in client_for(user).get("/").content.decode()


def test_pages_have_a_csp_without_inline_script(client_for: Any, user: Any) -> None:
    response = client_for(user).get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    # Every <script> element loads a file: none carries code.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", response.content.decode(), re.S)
    assert scripts
    assert all("src=" in attrs and not body.strip() for attrs, body in scripts)


def test_pages_carry_no_inline_event_handlers_or_styles(client_for: Any, user: Any) -> None:
    body = client_for(user).get("/").content.decode()
    assert not re.search(r"\son[a-z]+=", body)
    assert not re.search(r"\sstyle=", body)


def test_the_test_site_is_not_flagged_as_a_dev_site(client_for: Any, user: Any) -> None:
    assert "Here be dragons" not in client_for(user).get("/").content.decode()


def test_the_dev_site_warns_on_every_page(client_for: Any, user: Any, settings: Any) -> None:
    settings.ENVIRONMENT = "dev"
    assert "Here be dragons" in client_for(user).get("/").content.decode()


@pytest.mark.django_db
@pytest.mark.urls("tests.monitoring.urls")
def test_the_server_error_page_renders_while_redis_is_unreachable(client: Any) -> None:
    client.raise_request_exception = False
    # Every command to Redis fails, on new and pooled connections alike: the
    # live settings the other pages show (announcements) cannot be read.
    down = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch.object(redis.connection.AbstractConnection, "send_command", side_effect=down):
        with pytest.raises(redis.exceptions.ConnectionError):
            assert config.ANNOUNCEMENT_ENABLED  # what the base template reads
        response = client.get("/explode/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side." in page
    assert "bootstrap.min.css" in page  # still the site's look


@pytest.mark.django_db
@pytest.mark.urls("tests.monitoring.urls")
def test_the_access_denied_page_says_why(client: Any) -> None:
    response = client.get("/forbid/")

    assert response.status_code == 403
    assert "not yours" in response.content.decode()
