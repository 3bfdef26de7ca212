from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from atmo.news.views import COOKIE_NAME, News, news

NEWS = """### 2026.12.1

#### Better things

Some *news* with <script>alert(1)</script> and [a link](javascript:alert(1)).

### 2026.11.0

Older news.
"""


@pytest.fixture
def news_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> News:
    path = tmp_path / "NEWS.md"
    path.write_text(NEWS)
    replacement = News(path)
    monkeypatch.setattr("atmo.news.views.news", replacement)
    return replacement


def test_latest_is_the_first_heading(news_file: News) -> None:
    assert news_file.latest == "2026.12.1"


def test_the_projects_news_file_has_a_version_heading() -> None:
    from packaging.version import Version

    assert Version(news.latest) >= Version("2026.11.0")


def test_a_missing_news_file_has_version_zero(tmp_path: Path) -> None:
    assert News(tmp_path / "missing.md").latest == "0.0"


@pytest.mark.django_db
def test_check_says_meh_until_the_news_were_seen(client: Any, news_file: News) -> None:
    assert client.get("/news/check/").content == b"meh"
    client.get("/news/list/")
    assert client.get("/news/check/").content == b"ok"


@pytest.mark.django_db
@pytest.mark.parametrize("cookie", ["", "garbage", "2026.11.0"])
def test_an_old_empty_or_garbled_cookie_is_not_up_to_date(client: Any, news_file: News, cookie: str) -> None:
    client.cookies[COOKIE_NAME] = cookie
    assert client.get("/news/check/").content == b"meh"


@pytest.mark.django_db
def test_a_newer_cookie_is_up_to_date(client: Any, news_file: News) -> None:
    client.cookies[COOKIE_NAME] = "2027.1.0"
    assert client.get("/news/check/").content == b"ok"


@pytest.mark.django_db
def test_the_cookie_works_on_plain_http(client: Any, news_file: News) -> None:
    response = client.get("/news/list/")
    cookie = response.cookies[COOKIE_NAME]
    assert cookie.value == "2026.12.1"
    assert not cookie["secure"]
    assert cookie["httponly"]


@pytest.mark.django_db
def test_the_cookie_is_secure_over_https(client: Any, news_file: News) -> None:
    response = client.get("/news/list/", secure=True)
    assert response.cookies[COOKIE_NAME]["secure"]


@pytest.mark.django_db
def test_the_list_renders_news_safely(client: Any, news_file: News) -> None:
    body = client.get("/news/list/").content.decode()
    assert "<h3>2026.12.1</h3>" in body
    assert "<em>news</em>" in body
    assert "<script>alert(1)" not in body
    assert 'href="javascript:' not in body


@pytest.mark.django_db
def test_the_modal_gets_only_the_fragment(client: Any, news_file: News) -> None:
    response = client.get("/news/list/", headers={"X-Requested-With": "XMLHttpRequest"})
    body = response.content.decode()
    assert body.startswith("<h3>2026.12.1</h3>")
    assert "<nav" not in body
    assert COOKIE_NAME in response.cookies


@pytest.mark.parametrize("path", ["/news/list/", "/news/check/"])
def test_the_news_pages_are_public(client: Any, path: str) -> None:
    # What's new only says what changed in ATMO, as NEWS.md in its source does: it
    # holds nothing of anyone's, and the login page's footer links to it.
    response = client.get(path)
    assert response.status_code == 200
    assert "Location" not in response
