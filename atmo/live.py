"""Live regions: the part of a page that changes, polled by htmx and answered cheaply.

A page with live regions renders ``atmo/_poller.html`` once: an element that asks
for the same URL every ``ATMO_POLL_INTERVAL`` seconds with ``If-None-Match`` set to
the version it shows (its ``data-etag``). The view answers such a poll
(:func:`is_poll`) with :func:`poll_response`: ``304 Not Modified`` while the
version is the same, otherwise only the regions (each swapped by its ``id``,
see the poller's ``hx-select-oob``) and a new poller. Once nothing shown can
change any more, the new poller has no ``hx-trigger``, so the polling stops.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from atmo import pagecache

#: The ``id`` of the polling element, which htmx sends back as ``HX-Target``.
POLLER_ID = "live-poller"


def is_poll(request: HttpRequest) -> bool:
    """Whether the request is the poller's (and not a page load, a HEAD or anything else htmx does)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == POLLER_ID and request.method == "GET"  # type: ignore[union-attr]


def version(*parts: Any) -> str:
    """An ETag (quoted) of what live regions show: the rows' ids and change times, and the rest."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


def rows_version(rows: Iterable[Any], *extra: Any) -> str:
    """:func:`version` of rows by their primary keys and ``modified_at``."""
    return version([(row.pk, row.modified_at) for row in rows], *extra)


def retry_version(etag: str) -> str:
    """A version no later poll matches: for a page that shows a passing error (AWS), to be asked again."""
    return etag.removesuffix('"') + '-retry"'


def live_context(etag: str, live: bool, regions: Iterable[str]) -> dict[str, Any]:
    """What ``atmo/_poller.html`` needs: the version, whether to keep polling and the regions' ids."""
    return {
        "live_etag": etag,
        "live": live,
        "live_regions": ",".join(f"#{region}" for region in regions),
        "live_interval": settings.ATMO_POLL_INTERVAL,
    }


def poll_response(
    request: HttpRequest,
    template_name: str,
    context: dict[str, Any],
    more: Callable[[], dict[str, Any]] | None = None,
) -> HttpResponse:
    """304 when the client's ``If-None-Match`` is the current version, else the regions alone.

    ``more`` adds to the context only when the regions are rendered (e.g. a call to AWS);
    when it sets ``live_retry`` (it shows a passing error), the answer carries
    :func:`retry_version`, so the next poll renders again instead of keeping the error.
    """
    etag = context["live_etag"]
    if request.headers.get("If-None-Match", "").removeprefix("W/") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        extra = more() if more else {}
        if extra.get("live_retry"):
            etag = retry_version(etag)
        response = render(request, template_name, {**context, **extra, "live_etag": etag})
        if extra.get("live_retry"):
            pagecache.keep_out(response)
    response["ETag"] = etag
    # The page and its fragment share a URL: neither may stand in for the other in a cache.
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def not_found_for_polls(request: HttpRequest) -> None:
    """Raise 404 for a poll where the page would say 403: a poll never tells that a foreign row exists."""
    if is_poll(request):
        raise Http404
