from __future__ import annotations

import pytest
from django.template import Context, Template

from atmo.templatetags import full_url, markdown, url_update


def test_markdown_renders_basic_formatting() -> None:
    assert markdown("**test**") == "<p><strong>test</strong></p>\n"


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert('x')</script>",
        "hello <script src='https://evil.example/x.js'></script>",
        "<img src=x onerror=alert(1)>",
        '<a href="#" onclick="alert(1)">x</a>',
    ],
)
def test_markdown_never_passes_raw_html_through(source: str) -> None:
    html = markdown(source)
    assert "<script" not in html
    assert "<img" not in html
    assert "<a " not in html
    assert "&lt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JavaScript:alert(1))",
        "[click]( javascript:alert(1) )",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
    ],
)
def test_markdown_drops_dangerous_link_targets(source: str) -> None:
    html = markdown(source).lower()
    assert 'href="javascript:' not in html
    assert 'href="vbscript:' not in html
    assert 'href="data:' not in html


def test_markdown_keeps_ordinary_links() -> None:
    assert '<a href="https://example.com/docs">docs</a>' in markdown("[docs](https://example.com/docs)")


def test_url_update_sets_and_overrides_query_parameters() -> None:
    assert url_update("/?clusters=active&jobs=mine", clusters="all") == "/?clusters=all&jobs=mine"
    assert url_update("/", clusters="failed") == "/?clusters=failed"


def test_url_update_without_parameters_returns_the_url_unchanged() -> None:
    assert url_update("/some/path?a=1") == "/some/path?a=1"


def test_url_update_drops_a_parameter_set_to_none() -> None:
    assert url_update("/?a=1&b=2", a=None) == "/?b=2"


def test_full_url_prefixes_the_site_url(settings) -> None:
    settings.SITE_URL = "https://atmo.example.org"
    assert full_url("/clusters/1/") == "https://atmo.example.org/clusters/1/"


def test_the_library_loads_as_atmo() -> None:
    rendered = Template("{% load atmo %}{{ text|markdown }}").render(Context({"text": "*hi*"}))
    assert rendered == "<p><em>hi</em></p>\n"
