"""The ``{% load atmo %}`` template library."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import mistune
from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from atmo.lib.listing import ListParams
from atmo.lib.moments import relative

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


# --- Cells of the list tables: one tag per cell, no template include per row ---------

#: A cluster's EMR state: (badge colour, what the user reads).
CLUSTER_STATES = {
    "REQUESTED": ("text-bg-info", "Requested"),
    "STARTING": ("text-bg-info", "Starting"),
    "BOOTSTRAPPING": ("text-bg-info", "Bootstrapping"),
    "RUNNING": ("text-bg-info", "Setting up"),
    "WAITING": ("text-bg-success", "Ready"),
    "TERMINATING": ("text-bg-warning", "Terminating"),
    "TERMINATED": ("text-bg-secondary", "Terminated"),
    "TERMINATED_WITH_ERRORS": ("text-bg-danger", "Failed"),
}

#: A job run's EMR state, as a run sees it (a cluster that waits is a running job).
RUN_STATES = {
    "REQUESTED": ("text-bg-info", "Requested"),
    "STARTING": ("text-bg-info", "Starting"),
    "BOOTSTRAPPING": ("text-bg-info", "Starting"),
    "RUNNING": ("text-bg-info", "Running"),
    "WAITING": ("text-bg-info", "Running"),
    "TERMINATING": ("text-bg-warning", "Finishing"),
    "TERMINATED": ("text-bg-success", "Finished"),
    "TERMINATED_WITH_ERRORS": ("text-bg-danger", "Failed"),
}


@register.simple_tag
def cluster_badge(status: str | None) -> SafeString:
    """A cluster's state as a coloured badge; the raw EMR state is in the tooltip."""
    colour, label = CLUSTER_STATES.get(status or "", ("text-bg-info", status or "Unknown"))
    return format_html(
        '<span class="badge {}" title="EMR state: {}" data-testid="status">{}</span>',
        colour,
        status or "unknown",
        label,
    )


@register.simple_tag
def run_badge(status: str | None) -> SafeString:
    """A run's state as a coloured badge ("Never run" for a job without runs)."""
    if not status:
        colour, label = "text-bg-light border", "Never run"
    else:
        colour, label = RUN_STATES.get(status, ("text-bg-info", status))
    return format_html(
        '<span class="badge {}" title="EMR state: {}" data-testid="run-status">{}</span>',
        colour,
        status or "none yet",
        label,
    )


@register.simple_tag
def moment(value: datetime | None, empty: str = "—", testid: str = "") -> SafeString:
    """``<time>`` saying how long ago or ahead ``value`` is, the absolute time on hover.

    The title is in UTC here; static/js/atmo.js rewrites it in the browser's time
    zone and refreshes the relative text every half minute.
    """
    if not isinstance(value, datetime):
        return format_html('<span class="text-body-secondary">{}</span>', empty)
    value = timezone.localtime(value, UTC)
    return format_html(
        '<time datetime="{}" title="{} UTC" data-relative{}>{}</time>',
        value.isoformat(),
        f"{value:%Y-%m-%d %H:%M}",
        format_html(' data-testid="{}"', testid) if testid else "",
        relative(value, timezone.now()),
    )


DUE_NOW = mark_safe(' <span class="badge text-bg-info">due now</span>')


@register.simple_tag
def next_run(spark_job: Any, slot: datetime | None) -> SafeString:
    """A job's next run as ``SparkJob.schedule.next_slot()`` gave it (``slot``), the same on every page."""
    if not spark_job.is_enabled:
        return mark_safe('<span class="text-body-secondary">disabled</span>')
    if spark_job.expired_date:
        return mark_safe('<span class="text-body-secondary">ended</span>')
    if slot is None:
        return mark_safe('<span class="text-body-secondary">—</span>')
    shown = moment(slot, testid="next-run-at")
    return shown + DUE_NOW if slot <= timezone.now() else shown


@register.simple_tag
def sort_header(params: ListParams, name: str, label: str) -> SafeString:
    """A column header that sorts by ``name`` (``aria-sort`` on the sorted one)."""
    direction = params.sorted_by(name)
    arrow = {"ascending": " ▲", "descending": " ▼"}.get(direction, "")
    return format_html(
        '<th scope="col"{}><a class="link-body-emphasis text-decoration-none" href="{}">{}{}</a></th>',
        format_html(' aria-sort="{}"', direction) if direction else "",
        params.sort_url(name),
        label,
        arrow,
    )


@register.simple_tag
def list_url(params: ListParams, **changes: Any) -> str:
    """The list's query string with ``changes`` applied (see :meth:`ListParams.url`)."""
    return params.url(**changes)
