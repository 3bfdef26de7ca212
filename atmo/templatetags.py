"""The ``{% load atmo %}`` template library."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import mistune
from django import template
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# ``escape=True`` turns raw HTML in the source into text; mistune's renderer
# already replaces javascript:, vbscript:, file: and data: link targets with
# "#harmful-link". Together they make the output safe to mark as such.
_render_markdown = mistune.create_markdown(escape=True, plugins=["strikethrough", "table", "url"])


def render_markdown(content: str) -> str:
    """Markdown to HTML with raw HTML escaped and dangerous link schemes removed."""
    return str(_render_markdown(content or ""))


@register.filter
def markdown(content: str) -> SafeString:
    return mark_safe(render_markdown(content))  # noqa: S308 - escaped by mistune above


@register.filter
def full_url(url: str) -> str:
    """Prefix a site path with ``SITE_URL``, for links in emails."""
    return urljoin(settings.SITE_URL + "/", url)


@register.simple_tag
def url_update(url: str, **params: Any) -> str:
    """``url`` with the given query parameters set (others kept); a value of None drops one."""
    if not params:
        return url
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key, value in params.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    return urlunsplit(parts._replace(query=urlencode(query)))


#: (seconds, unit) from the largest unit down, for :func:`duration`.
DURATION_UNITS = ((86400, "d"), (3600, "h"), (60, "min"), (1, "s"))


@register.filter
def duration(value: timedelta | None) -> str:
    """A timedelta as its two largest units: "2 min 10 s", "1 d 2 h", "45 s".

    Whole days count (unlike ``timedelta.seconds``). A negative value, which
    only clock skew between AWS and us can produce, shows as "0 s".
    """
    if not isinstance(value, timedelta):
        return ""
    remaining = max(0, int(value.total_seconds()))
    amounts = []
    for size, unit in DURATION_UNITS:
        amount, remaining = divmod(remaining, size)
        amounts.append((amount, unit))
    first = next((i for i, (amount, _) in enumerate(amounts) if amount), len(amounts) - 1)
    shown = [f"{amount} {unit}" for amount, unit in amounts[first : first + 2] if amount]
    return " ".join(shown) or "0 s"


@register.filter
def json_value(value: Any) -> str:
    """A parameter's value as a notebook would write it in JSON: ``"DE"``, ``25``, ``true``."""
    return json.dumps(value, ensure_ascii=False)


@register.filter
def indent_lines(text: str, width: int = 4) -> str:
    """Every line of ``text`` indented by ``width`` spaces, to quote code in a plain-text mail."""
    return "\n".join(f"{' ' * width}{line}" if line else line for line in str(text).splitlines())
