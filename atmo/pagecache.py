"""Answers of a user's pages kept in Redis while the data they show stays the same.

:func:`cached_page` wraps a page view. A GET is answered from the cache when the
same user asked for the same URL (with the same htmx and conditional headers)
within the same minute, and the change stamps (:mod:`atmo.stamps`) of every
topic the page shows are still those the answer was rendered under. One Redis
round trip reads the answer and the current stamps together; nothing else runs,
so a page reloaded or polled while nothing changed costs little more than the
session and the user. The live regions' polls (:mod:`atmo.live`) go through it
too: their ``304 Not Modified`` is then as cheap as the page's.

A hard reload (``Cache-Control: no-cache``) renders the page anew and keeps it.
Not cached: anonymous requests, other methods, answers other than 200 and 304,
answers that set cookies, and requests with messages to show (showing them uses
them up). A cached form's CSRF token is kept as a placeholder and filled with a
token of the asking request at each replay, so that it holds whatever the
requester's CSRF cookie is. The key holds the minute, so that relative times,
"due now" badges and anything written outside Django are at most a minute behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import secrets
import time
import zlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache as redis_cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token
from redis.exceptions import RedisError

from atmo import stamps
from atmo.monitoring.metrics import PAGE_CACHE_ANSWERS
from atmo.version import get_version

logger = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

#: The request headers that change a page's answer: htmx's and the conditional ones.
VARYING_HEADERS = (
    "HX-Request",
    "HX-Target",
    "HX-Trigger",
    "HX-Boosted",
    "If-None-Match",
    "If-Modified-Since",
)
CACHED_STATUSES = frozenset({200, 304})
#: Seconds an answer is kept: its key changes with the minute, so it is of no use longer (and
#: well within the 10 minutes a private result's presigned link on a job page lasts).
LIFETIME = 60
ENTRY_KEY = "atmo:page:{}"
#: ``{% csrf_token %}``'s hidden input; its value is a masked token, 64 letters and digits.
CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{64}(")')


def cached_page(*topics: str) -> Callable[[View], View]:
    """Serve the view's GET answers from the cache while ``topics`` (and the shared ones) are unchanged."""
    watched = tuple(dict.fromkeys([*topics, *stamps.SHARED_TOPICS]))

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not is_cacheable(request):
                return view(request, *args, **kwargs)
            key = ENTRY_KEY.format(entry_digest(request))
            stamp_keys = stamps.keys(watched)
            try:
                found = redis_cache.get_many([key, *stamp_keys])
            except RedisError:
                logger.warning("The page cache is unreachable; rendering %s", request.path, exc_info=True)
                return view(request, *args, **kwargs)
            current = tuple(found.get(stamp_key) for stamp_key in stamp_keys)
            entry = found.get(key)
            fresh = asks_for_fresh(request)
            if entry is not None and None not in current and entry["stamps"] == current and not fresh:
                count(request, "hit")
                return replay(request, entry)
            count(request, "fresh" if fresh else "miss")
            if None in current:
                # New stamps (after a flush), read before the view reads the data: a write
                # while it renders renews them again, and the answer is not served after it.
                with contextlib.suppress(RedisError):
                    current = new_stamps(watched, current)
            response = view(request, *args, **kwargs)
            if should_keep(response) and None not in current:
                # The answer is rendered; keeping it is a bonus that a Redis error may cost.
                with contextlib.suppress(RedisError):
                    redis_cache.set(key, record(response, current), timeout=LIFETIME)
            return response

        return wrapped  # type: ignore[return-value]

    return decorator


def count(request: HttpRequest, outcome: str) -> None:
    match = request.resolver_match
    PAGE_CACHE_ANSWERS.labels(view=match.url_name if match else "", outcome=outcome).inc()


def new_stamps(topics: tuple[str, ...], current: tuple[str | None, ...]) -> tuple[str | None, ...]:
    """Stamps for the ``topics`` Redis did not hold (None in ``current``), and all of them as they now are."""
    stamps.renew(topic for topic, stamp in zip(topics, current, strict=True) if stamp is None)
    stamp_keys = stamps.keys(topics)
    held = redis_cache.get_many(stamp_keys)
    return tuple(held.get(stamp_key) for stamp_key in stamp_keys)


def is_cacheable(request: HttpRequest) -> bool:
    if not settings.ATMO_PAGE_CACHE or request.method != "GET" or not request.user.is_authenticated:
        return False
    # Counting the messages reads them without using them up.
    return len(get_messages(request)) == 0


def asks_for_fresh(request: HttpRequest) -> bool:
    """A browser's hard reload (``Cache-Control: no-cache``): render the page, and keep that answer."""
    asked = f"{request.headers.get('Cache-Control', '')},{request.headers.get('Pragma', '')}"
    return "no-cache" in asked.lower()


def entry_digest(request: HttpRequest) -> str:
    parts = (
        request.user.pk,
        request.get_full_path(),
        [request.headers.get(name, "") for name in VARYING_HEADERS],
        int(time.time() // 60),
        (get_version(settings.BASE_DIR) or {}).get("commit"),
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


#: The attribute :func:`keep_out` sets on an answer.
KEEP_OUT = "atmo_keep_out_of_page_cache"


def keep_out(response: HttpResponseBase) -> None:
    """Tell the page cache not to keep this answer: it shows something passing (an AWS error)."""
    setattr(response, KEEP_OUT, True)


def should_keep(response: HttpResponseBase) -> bool:
    return (
        not getattr(response, KEEP_OUT, False)
        and response.status_code in CACHED_STATUSES
        and not response.streaming
        and not response.cookies
        and isinstance(response, HttpResponse)
    )


def record(response: HttpResponseBase, current: tuple[str | None, ...]) -> dict[str, Any]:
    render = getattr(response, "render", None)
    if render is not None:
        render()
    assert isinstance(response, HttpResponse)
    # A marker of its own per answer: no text a user wrote on the page can be taken for it.
    marker = secrets.token_hex(16).encode()
    return {
        "stamps": current,
        "status": response.status_code,
        "csrf_marker": marker,
        # Compressed (a page of rows shrinks tenfold): many users' answers stay small in Redis.
        "content": zlib.compress(CSRF_INPUT.sub(rb"\g<1>" + marker + rb"\g<2>", response.content), 1),
        "headers": list(response.items()),
    }


def replay(request: HttpRequest, entry: dict[str, Any]) -> HttpResponse:
    content, marker = zlib.decompress(entry["content"]), entry["csrf_marker"]
    if marker in content:
        # get_token() also renews the CSRF cookie, as rendering the form did.
        content = content.replace(marker, get_token(request).encode())
    response = HttpResponse(content, status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    return response
