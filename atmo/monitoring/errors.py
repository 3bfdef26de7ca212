"""Error reports to Sentry: on when ``SENTRY_DSN`` is set, scrubbed, and quiet about expected outcomes.

:func:`init_sentry` is called by the settings, so that the web, worker and
scheduler processes all report from their start. What never leaves:

* request bodies (notebooks, SSH keys, form fields), cookies, the
  ``Authorization`` header, query-string values, local variables of frames,
  and the user's name, email and IP address (only the user id is kept);
* any text that looks like a notebook, an SSH key, a private key, a bearer
  token or a presigned AWS signature, wherever it appears in the event.

What is not reported: exceptions a Celery task declares in ``throws``, and
its retries (the Celery integration leaves them out), Django's answers to bad
input (404, 403, ``SuspiciousOperation``: a 4xx, logged by ``django.security``)
and the heartbeat's own 500s (the heartbeat is the alert, see the runbook).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sentry_sdk
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger
from sentry_sdk.integrations.redis import RedisIntegration

if TYPE_CHECKING:
    from sentry_sdk._types import DataCollectionUserOptions

FILTERED = "[Filtered]"

#: Values under keys containing these are scrubbed wherever they appear in an event.
SENSITIVE_KEYS = (
    "password",
    "secret",
    "token",
    "authorization",
    "cookie",
    "session",
    "csrf",
    "credential",
    "public_key",
    "private_key",
    "ssh_key",
    "notebook",
    "dsn",
)

#: What the integrations may collect: no user identity but the id, cookies, bodies, query
#: strings, SQL parameters or frame variables; request headers but the sensitive ones.
DATA_COLLECTION: DataCollectionUserOptions = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "denylist", "terms": ["cookie", "csrf", "authorization"]}},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "database_query_data": False,
    "stack_frame_variables": False,
}

#: Exceptions that answer bad input or a missing permission: the user sees a 4xx page.
EXPECTED_EXCEPTIONS = (Http404, PermissionDenied, SuspiciousOperation)

#: Loggers (patterns) whose errors are not ATMO's: a client's bad request, the heartbeat's
#: failed checks (the heartbeat is the alert for those), and dockerflow's access log (an
#: error there is the exception Sentry already has).
IGNORED_LOGGERS = ("django.security.*", "dockerflow.checks.registry", "request.summary")

#: Paths whose 500 is an answer, not an error: the heartbeat reports trouble by failing.
QUIET_PATHS = ("/__heartbeat__",)

NOTEBOOK_MARKERS = ('"cell_type"', '"nbformat"', "'cell_type'", "'nbformat'")
SECRET_PATTERNS = [
    # OpenSSH public keys: "ssh-ed25519 AAAA... comment", ecdsa, rsa, dss, sk-* variants.
    re.compile(
        r"\b(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+)\s+AAAA[0-9A-Za-z+/=]+(?:\s+\S+)?"
    ),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
    re.compile(r"(?i)\bBearer\s+[A-Za-z0-9._~+/=-]+"),
    # Presigned S3 links carry their secrets in the query string.
    re.compile(r"(?i)((?:X-Amz-(?:Signature|Credential|Security-Token)|Signature|token)=)[^&\s\"']+"),
]


def scrub_text(text: str) -> str:
    """``text`` without notebooks, keys, tokens and signatures."""
    if any(marker in text for marker in NOTEBOOK_MARKERS):
        return "[Filtered: notebook contents]"
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(lambda match: (match.group(1) if match.groups() else "") + FILTERED, text)
    return text


def is_sensitive(key: object) -> bool:
    return isinstance(key, str) and any(term in key.lower() for term in SENSITIVE_KEYS)


def scrub(value: Any) -> Any:
    """``value`` with :func:`scrub_text` applied to every string inside it, and the values of
    sensitive keys (:data:`SENSITIVE_KEYS`) replaced."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {key: FILTERED if is_sensitive(key) else scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def _scrub_request(request: dict[str, Any]) -> dict[str, Any]:
    request = dict(request)
    for key in ("data", "cookies", "env"):
        request.pop(key, None)
    headers = request.get("headers")
    if isinstance(headers, Mapping):
        request["headers"] = {
            name: FILTERED
            if name.lower() in ("authorization", "cookie", "x-csrftoken", "proxy-authorization")
            else value
            for name, value in headers.items()
        }
    query = request.get("query_string")
    if isinstance(query, str) and query:
        request["query_string"] = re.sub(r"=[^&]*", "=" + FILTERED, query)
    return request


def is_expected(event: dict[str, Any], hint: dict[str, Any]) -> bool:
    """Whether the event is an expected outcome: bad input, or the heartbeat failing on purpose."""
    exc_info = hint.get("exc_info")
    if exc_info and isinstance(exc_info[1], EXPECTED_EXCEPTIONS):
        return True
    url = str(event.get("request", {}).get("url", ""))
    return event.get("logger") == "django.request" and url.split("?")[0].endswith(QUIET_PATHS)


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    if is_expected(event, hint):
        return None
    if isinstance(event.get("request"), Mapping):
        event["request"] = _scrub_request(event["request"])
    if isinstance(event.get("user"), Mapping):
        event["user"] = {"id": event["user"]["id"]} if "id" in event["user"] else {}
    return scrub(event)


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """Scrub breadcrumbs too: log lines and HTTP calls (their URLs may be presigned)."""
    data = crumb.get("data")
    if isinstance(data, dict):
        data.pop("http.query", None)
    return scrub(crumb)


def init_sentry(dsn: str, environment: str, release: str, transport: Any = None) -> None:
    """Start reporting to ``dsn``; ``transport`` replaces the HTTP one (the tests capture events)."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        data_collection=DATA_COLLECTION,
        # Its breadcrumbs list Redis keys, and the session keys are session ids.
        disabled_integrations=[RedisIntegration()],
        # Sentry types the event as a TypedDict; the scrubbers walk it as the plain dict it is.
        before_send=before_send,  # type: ignore[arg-type]
        before_breadcrumb=before_breadcrumb,
        transport=transport,
    )
    for name in IGNORED_LOGGERS:
        ignore_logger(name)
