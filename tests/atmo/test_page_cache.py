"""The page cache (atmo/pagecache.py) and the change stamps it relies on (atmo/stamps.py):
a page asked again while nothing it shows changed is answered from Redis without a
query of its own; any write it shows, through whatever ORM path, renders it anew;
nobody gets somebody else's answer; forms keep valid CSRF tokens; messages show."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage, Message
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_redis import get_redis_connection

from atmo import stamps
from atmo.clusters.models import Cluster
from atmo.keys.models import SSHKey
from tests.clusters.factories import ClusterFactory
from tests.jobs.factories import SparkJobFactory
from tests.keys.factories import SSHKeyFactory

pytestmark = pytest.mark.django_db

POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "live-poller"}


@pytest.fixture(autouse=True)
def one_minute() -> Any:
    """The answers' key holds the minute: a test must not see it turn between two requests."""
    with mock.patch("atmo.pagecache.time.time", return_value=1_000_020.0):
        yield


def stamp(topic: str) -> str | None:
    from django.core.cache import cache

    return cache.get(stamps.STAMP_KEY.format(topic))


def queries_of(client: Any, url: str, **headers: Any) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    return response, [query["sql"] for query in captured.captured_queries]


def own_queries(sqls: list[str]) -> list[str]:
    """The queries beyond the session's user, which every page (and the bare view) runs."""
    return [sql for sql in sqls if 'FROM "auth_user"' not in sql and "django_session" not in sql]


# --- Change stamps -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "topic"),
    [
        ('INSERT INTO "clusters_cluster" ("identifier") VALUES (%s)', "clusters"),
        ('UPDATE "jobs_sparkjobrun" SET "status" = %s', "jobs"),
        ('DELETE FROM "keys_sshkey" WHERE "id" = %s', "keys"),
        ('UPDATE "guardian_userobjectpermission" SET "object_pk" = %s', "access"),
        ('INSERT INTO "auth_user_groups" ("user_id", "group_id") VALUES (%s, %s)', "access"),
        ('INSERT INTO "some_table_of_no_model" ("a") VALUES (1)', "other"),
        ('UPDATE "django_session" SET "session_data" = %s', None),
        ('INSERT INTO "monitoring_sweep" ("name") VALUES (%s)', None),
        ('SELECT "id" FROM "clusters_cluster" FOR UPDATE', None),
    ],
)
def test_a_statement_names_the_topic_it_writes_to(sql: str, topic: str | None) -> None:
    assert stamps.topic_of(sql) == topic


def test_every_orm_write_path_renews_the_stamp_of_its_topic(user: Any) -> None:
    cluster = ClusterFactory(created_by=user)
    seen = {stamp("clusters")}
    cluster.save()
    seen.add(stamp("clusters"))
    Cluster.objects.filter(pk=cluster.pk).update(size=3)
    seen.add(stamp("clusters"))
    cluster.size = 4
    Cluster.objects.bulk_update([cluster], ["size"])
    seen.add(stamp("clusters"))
    with connection.cursor() as cursor:
        cursor.execute('UPDATE "clusters_cluster" SET "size" = 5')
    seen.add(stamp("clusters"))
    Cluster.objects.filter(pk=cluster.pk).delete()
    seen.add(stamp("clusters"))
    assert None not in seen
    assert len(seen) == 6


def test_a_write_renews_its_stamp_again_when_the_transaction_commits(
    user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cluster = ClusterFactory(created_by=user)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Cluster.objects.filter(pk=cluster.pk).update(size=3)
        during = stamp("clusters")
    # A page rendered from the data before the commit may be stored under ``during``.
    assert stamp("clusters") not in (None, during)


def test_writes_no_page_shows_leave_the_stamps_alone(user: Any) -> None:
    before = {topic: stamp(topic) for topic in ("clusters", "jobs", "keys", "access", "site", "other")}
    Session.objects.create(session_key="x" * 32, session_data="", expire_date="2030-01-01T00:00Z")
    after = {topic: stamp(topic) for topic in before}
    assert after == before


# --- The page cache ----------------------------------------------------------------


@pytest.mark.parametrize("page", ["dashboard", "clusters", "jobs", "keys", "cluster", "job"])
def test_a_page_asked_again_unchanged_runs_no_query_of_its_own(client_for: Any, user: Any, page: str) -> None:
    cluster = ClusterFactory(created_by=user, identifier="kept")
    job = SparkJobFactory(created_by=user)
    url = {
        "dashboard": reverse("dashboard"),
        "clusters": reverse("clusters-list"),
        "jobs": reverse("jobs-list") + "?jobs=mine",
        "keys": reverse("keys-list"),
        "cluster": cluster.urls.detail,
        "job": job.urls.detail,
    }[page]
    client = client_for(user)
    with mock.patch("atmo.jobs.views.detail_from_aws", return_value={}):
        first, first_queries = queries_of(client, url)
        again, again_queries = queries_of(client, url)
    assert first.status_code == again.status_code == 200
    assert own_queries(first_queries)
    assert own_queries(again_queries) == []
    assert again.content.decode().count("kept") == first.content.decode().count("kept")


def test_a_change_through_update_shows_at_the_next_view(client_for: Any, user: Any) -> None:
    cluster = ClusterFactory(created_by=user, identifier="changing", starting=True)
    client = client_for(user)
    assert 'title="EMR state: STARTING"' in client.get(cluster.urls.detail).content.decode()
    # No signal, no save(): the statement itself renews the stamp.
    Cluster.objects.filter(pk=cluster.pk).update(most_recent_status=Cluster.STATUS_WAITING)
    page = client.get(cluster.urls.detail).content.decode()
    assert 'title="EMR state: WAITING"' in page
    assert 'title="EMR state: STARTING"' not in page


def test_a_new_key_shows_on_the_cached_keys_page(client_for: Any, user: Any) -> None:
    client = client_for(user)
    assert "second laptop" not in client.get(reverse("keys-list")).content.decode()
    SSHKeyFactory(created_by=user, title="second laptop")
    assert "second laptop" in client.get(reverse("keys-list")).content.decode()


def test_nobody_is_answered_with_another_users_page(client_for: Any, user: Any, user2: Any) -> None:
    cluster = ClusterFactory(created_by=user, identifier="alices-cluster")
    client = client_for(user)
    assert client.get(cluster.urls.detail).status_code == 200
    assert "alices-cluster" in client.get(reverse("dashboard")).content.decode()
    other = client_for(user2)
    assert other.get(cluster.urls.detail).status_code in (403, 404)
    assert "alices-cluster" not in other.get(reverse("dashboard")).content.decode()


def test_a_cached_form_carries_a_token_valid_for_whoever_asks(user: Any) -> None:
    cluster = ClusterFactory(created_by=user, identifier="extendable")
    first_browser, second_browser = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_browser.force_login(user)
    second_browser.force_login(user)
    first_browser.get(cluster.urls.detail)
    # The same user in another browser: another CSRF cookie, the same cached page.
    with CaptureQueriesContext(connection) as captured:
        page = second_browser.get(cluster.urls.detail).content.decode()
    assert own_queries([query["sql"] for query in captured.captured_queries]) == []
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert len(token) == 64
    logout = second_browser.post(reverse("oidc_logout"), {"csrfmiddlewaretoken": token})
    assert logout.status_code != 403


def test_a_page_with_messages_to_show_is_rendered_and_shows_them(client_for: Any, user: Any) -> None:
    client = client_for(user)
    client.get(reverse("keys-list"))
    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    client.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "Key deleted for good.")])
    assert "Key deleted for good." in client.get(reverse("keys-list")).content.decode()


def test_a_hard_reload_renders_the_page_anew(client_for: Any, user: Any) -> None:
    client = client_for(user)
    client.get(reverse("keys-list"))
    _, queries = queries_of(client, reverse("keys-list"), HTTP_CACHE_CONTROL="no-cache")
    assert own_queries(queries)


def test_after_redis_is_flushed_pages_are_rendered_from_the_database(client_for: Any, user: Any) -> None:
    key = SSHKeyFactory(created_by=user, title="before the flush")
    client = client_for(user)
    assert "before the flush" in client.get(reverse("keys-list")).content.decode()
    get_redis_connection("default").flushdb()
    # The flush took the stamps too; the title changes without renewing them.
    with mock.patch.object(stamps, "renew"):
        SSHKey.objects.filter(pk=key.pk).update(title="after the flush")
    assert "after the flush" in client.get(reverse("keys-list")).content.decode()


def test_the_answer_is_rendered_again_when_the_minute_turns(client_for: Any, user: Any) -> None:
    client = client_for(user)
    with mock.patch("atmo.pagecache.time.time", return_value=1_000_000.0):
        client.get(reverse("keys-list"))
        _, same_minute = queries_of(client, reverse("keys-list"))
    with mock.patch("atmo.pagecache.time.time", return_value=1_000_060.0):
        _, next_minute = queries_of(client, reverse("keys-list"))
    assert own_queries(same_minute) == []
    assert own_queries(next_minute)


def test_an_unchanged_poll_is_a_304_without_a_query_of_its_own(client_for: Any, user: Any) -> None:
    ClusterFactory(created_by=user, starting=True)
    client = client_for(user)
    etag = client.get(reverse("dashboard"), **POLL)["ETag"]
    first, _ = queries_of(client, reverse("dashboard"), HTTP_IF_NONE_MATCH=etag, **POLL)
    again, queries = queries_of(client, reverse("dashboard"), HTTP_IF_NONE_MATCH=etag, **POLL)
    assert first.status_code == again.status_code == 304
    assert again["ETag"] == etag
    assert own_queries(queries) == []


def test_the_cache_can_be_turned_off(client_for: Any, user: Any, settings: Any) -> None:
    settings.ATMO_PAGE_CACHE = False
    client = client_for(user)
    client.get(reverse("keys-list"))
    _, queries = queries_of(client, reverse("keys-list"))
    assert own_queries(queries)


def test_a_live_setting_changed_in_the_admin_shows_on_the_next_view(
    client_for: Any, user: Any, live_setting: Any
) -> None:
    client = client_for(user)
    assert 'data-testid="announcement"' not in client.get(reverse("keys-list")).content.decode()
    live_setting(ANNOUNCEMENT_ENABLED=True, ANNOUNCEMENT_TITLE="Maintenance tonight")
    assert "Maintenance tonight" in client.get(reverse("keys-list")).content.decode()


def test_without_redis_pages_are_rendered_and_writes_go_through(client_for: Any, user: Any) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    client = client_for(user)
    key = SSHKeyFactory(created_by=user, title="kept in PostgreSQL")
    unreachable = mock.patch(
        "django.core.cache.cache.get_many", side_effect=RedisConnectionError("Redis is restarting")
    )
    with (
        unreachable,
        mock.patch("django.core.cache.cache.set_many", side_effect=RedisConnectionError("down")),
    ):
        SSHKey.objects.filter(pk=key.pk).update(title="renamed while Redis was down")
        assert SSHKey.objects.get(pk=key.pk).title == "renamed while Redis was down"
        page = client.get(reverse("keys-list"))
    assert page.status_code == 200
    assert "renamed while Redis was down" in page.content.decode()


def test_hits_misses_and_hard_reloads_are_counted_by_view(client_for: Any, user: Any) -> None:
    from tests.monitoring.test_metrics import Delta

    moved = {
        outcome: Delta("atmo_page_cache_answers_total", view="keys-list", outcome=outcome)
        for outcome in ("hit", "miss", "fresh")
    }
    client = client_for(user)
    for _ in range(3):
        client.get(reverse("keys-list"))
    client.get(reverse("keys-list"), HTTP_CACHE_CONTROL="no-cache")
    assert {outcome: delta.moved() for outcome, delta in moved.items()} == {"hit": 2, "miss": 1, "fresh": 1}


@pytest.mark.django_db(transaction=True)
def test_a_write_outside_a_transaction_renews_its_stamp_once_committed() -> None:
    from tests.users.factories import UserFactory

    cluster = ClusterFactory(created_by=UserFactory())
    before = stamp("clusters")
    with mock.patch.object(stamps, "renew", wraps=stamps.renew) as renewals:
        Cluster.objects.filter(pk=cluster.pk).update(size=3)
    assert renewals.call_count == 1
    assert stamp("clusters") not in (None, before)
