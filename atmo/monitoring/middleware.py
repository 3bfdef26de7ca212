"""Counts and times every HTTP request, by view (the URL's name) and status code."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from atmo.monitoring import metrics

#: Methods counted by name; any other (a client may send anything) counts as "other".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: Answered before URL resolution (by dockerflow's middleware): named by path.
UNROUTED_VIEWS = {
    "/__heartbeat__": "heartbeat",
    "/__lbheartbeat__": "lbheartbeat",
    "/__version__": "version",
}


def view_name(request: HttpRequest) -> str:
    """A label with few values: the URL's name, never the path itself (ids would explode the series)."""
    match = request.resolver_match
    if match is not None:
        return match.view_name
    path = request.path_info.rstrip("/") or "/"
    if path in UNROUTED_VIEWS:
        return UNROUTED_VIEWS[path]
    if request.path_info.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


class RequestMetricsMiddleware:
    """Outermost middleware: it sees redirects, dockerflow's answers and error pages too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_name(request)
        method = request.method if request.method in KNOWN_METHODS else "other"
        metrics.HTTP_REQUEST_DURATION.labels(view, method).observe(time.perf_counter() - started)
        metrics.HTTP_REQUESTS.labels(view, method, str(response.status_code)).inc()
        return response
