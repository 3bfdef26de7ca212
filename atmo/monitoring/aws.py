"""Counts every AWS call through botocore's event system, by operation, outcome and error code.

:func:`instrument` is applied by :func:`atmo.provisioners.client` to each client
it makes. botocore emits, per client:

* ``needs-retry`` after every HTTP attempt, before deciding whether to retry:
  throttled attempts are counted there, including those a retry then hid;
* ``after-call`` once the call has an answer (after botocore's retries);
* ``after-call-error`` when it has none (no connection, a timeout).
"""

from __future__ import annotations

from typing import Any

from atmo import provisioners
from atmo.monitoring import incidents, metrics


def instrument(client: Any) -> Any:
    events = client.meta.events
    events.register("needs-retry", count_attempt, unique_id="atmo-monitoring-attempt")
    events.register("after-call", count_call, unique_id="atmo-monitoring-call")
    events.register("after-call-error", count_unanswered_call, unique_id="atmo-monitoring-unanswered")
    return client


def _service_and_operation(event_name: str) -> tuple[str, str]:
    # "after-call.emr.ListClusters" -> ("emr", "ListClusters")
    _event, service, operation = event_name.split(".", 2)
    return service, operation


def _error_code(parsed: Any) -> str:
    if isinstance(parsed, dict):
        return str(parsed.get("Error", {}).get("Code") or "")
    return ""


def count_attempt(event_name: str, response: Any = None, **kwargs: Any) -> None:
    """A throttled attempt (``response`` is ``(http_response, parsed)`` when AWS answered)."""
    if response is None:
        return
    _http, parsed = response
    if _error_code(parsed) in provisioners.THROTTLING_CODES:
        metrics.AWS_THROTTLED_ATTEMPTS.labels(*_service_and_operation(event_name)).inc()


def count_call(event_name: str, http_response: Any, parsed: Any, **kwargs: Any) -> None:
    """A call AWS answered: ``ok``, or ``throttled``/``error`` with its error code."""
    service, operation = _service_and_operation(event_name)
    if http_response.status_code < 300:
        metrics.AWS_CALLS.labels(service, operation, "ok").inc()
        return
    code = _error_code(parsed) or f"HTTP{http_response.status_code}"
    outcome = "throttled" if code in provisioners.THROTTLING_CODES else "error"
    _count_error(service, operation, outcome, code, _error_message(parsed))


def count_unanswered_call(event_name: str, exception: BaseException, **kwargs: Any) -> None:
    """A call that got no answer: the exception's class stands for the code."""
    service, operation = _service_and_operation(event_name)
    _count_error(service, operation, "unreachable", type(exception).__name__, str(exception))


def _error_message(parsed: Any) -> str:
    if isinstance(parsed, dict):
        return str(parsed.get("Error", {}).get("Message") or "")
    return ""


def _count_error(service: str, operation: str, outcome: str, code: str, message: str) -> None:
    metrics.AWS_CALLS.labels(service, operation, outcome).inc()
    metrics.AWS_ERRORS.labels(service, operation, code).inc()
    incidents.remember(
        incidents.AWS_ERRORS_KEY, service=service, operation=operation, code=code, message=message[:300]
    )
