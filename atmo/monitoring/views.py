"""``/metrics``: the Prometheus scrape endpoint, behind a bearer token."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from atmo.monitoring.collectors import StateCollector
from atmo.monitoring.metrics import exposition


def is_authorized(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = settings.ATMO_METRICS_TOKEN
    return bool(expected) and scheme.lower() == "bearer" and secrets.compare_digest(token.strip(), expected)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The metrics of this container's processes and the site's state, in Prometheus' text format.

    With ``ATMO_METRICS_TOKEN`` set, only requests bearing it get them (401 for
    the others). Without it the endpoint is open on a developer's machine and
    absent (404) on a deployed site.
    """
    if settings.ATMO_METRICS_TOKEN:
        if not is_authorized(request):
            response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif settings.IS_DEPLOYED:
        raise Http404("Metrics are off: set ATMO_METRICS_TOKEN.")
    body, content_type = exposition(StateCollector(), accept=request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)
