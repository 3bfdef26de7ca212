"""What's new: NEWS.md rendered, and a cookie remembering the last version seen."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import mistune
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from packaging.version import InvalidVersion, Version

from atmo.templatetags import render_markdown

COOKIE_NAME = "news_current"
COOKIE_MAX_AGE = 60 * 60 * 24 * 365


def _parse_version(value: str) -> Version | None:
    try:
        return Version(value)
    except InvalidVersion:
        return None


class News:
    """The NEWS.md document: its latest version and its HTML."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or Path(settings.BASE_DIR) / "NEWS.md"

    @cached_property
    def source(self) -> str:
        """The Markdown text of the file ("" when it cannot be read)."""
        try:
            return self.path.read_text(encoding="utf-8")
        except OSError:
            return ""

    @cached_property
    def ast(self) -> list[dict[str, Any]]:
        parse = mistune.create_markdown(renderer=None)
        return parse(self.source)  # type: ignore[return-value]

    @cached_property
    def latest(self) -> str:
        """The text of the first heading: by convention the newest release."""
        for token in self.ast:
            if token.get("type") == "heading":
                return _text_of(token).strip() or "0.0"
        return "0.0"

    def render(self) -> str:
        return render_markdown(self.source)

    def current(self, request: HttpRequest) -> str:
        return request.COOKIES.get(COOKIE_NAME, "")

    def uptodate(self, request: HttpRequest) -> bool:
        """Whether this visitor's cookie records the latest version, or a later one."""
        seen = _parse_version(self.current(request))
        latest = _parse_version(self.latest)
        if seen is None or latest is None:
            # An empty or garbled cookie means the visitor has not seen this release.
            return bool(self.current(request)) and self.current(request) == self.latest
        return latest <= seen

    def update(self, request: HttpRequest, response: HttpResponse) -> None:
        if not self.uptodate(request):
            response.set_cookie(
                COOKIE_NAME,
                self.latest,
                max_age=COOKIE_MAX_AGE,
                # Secure only over HTTPS, so the badge also clears on plain-HTTP local runs.
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )


def _text_of(token: dict[str, Any]) -> str:
    if "raw" in token:
        return str(token["raw"])
    return "".join(_text_of(child) for child in token.get("children", []))


news = News()


@require_GET
def list_news(request: HttpRequest) -> HttpResponse:
    """The news page; only the rendered fragment for the footer's modal (fetch)."""
    fragment = request.headers.get("X-Requested-With") == "XMLHttpRequest"
    if fragment:
        response = HttpResponse(news.render())
    else:
        response = render(request, "news/list.html", {"news_html": news.render()})
    news.update(request, response)
    return response


@require_GET
def check_news(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok" if news.uptodate(request) else "meh", content_type="text/plain")
