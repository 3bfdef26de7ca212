"""``/__heartbeat__``: the database, Redis and migrations, plus the scheduler, the sweeps and the workers.

dockerflow's own heartbeat runs every Django system check on each call
(templates, admin, models, URL patterns: about 30 ms here before any real
dependency is asked) while load balancers call it every few seconds. This one
runs only what can change while the site runs: ``DOCKERFLOW_CHECKS`` and
``ATMO_LIVENESS_CHECKS``. The configuration checks still run where a mistake
must stop a deploy: ``manage.py migrate`` and ``manage.py check --deploy``.

A passed migrations check is remembered for the life of the process: once a
release's migrations are applied they stay applied, and that check alone costs
as much as all the others.

The response is dockerflow's: ``status`` and, always, ``checks`` (each check's
status). ``details`` has the messages of the failing liveness checks (a name
and an age, nothing secret) and, with ``DEBUG`` on, of the others too (their
messages may name internal hosts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from dockerflow import checks as dockerflow_checks
from dockerflow.django.middleware import DockerflowMiddleware
from dockerflow.django.signals import heartbeat_failed, heartbeat_passed
from dockerflow.django.views import HEARTBEAT_FAILED_STATUS_CODE
from dockerflow.django.views import heartbeat as dockerflow_heartbeat

#: Checks that, once passed, keep passing for the life of the process.
PASS_ONCE = frozenset({"check_migrations_applied"})
_passed_once: set[str] = set()


def _checks(paths: list[str]) -> Iterator[tuple[str, Callable[[], list[Any]]]]:
    for path in paths:
        check = import_string(path)
        name = check.__name__
        if name in _passed_once:
            continue
        yield name, _remembering(name, check)


def _remembering(name: str, check: Callable[..., list[Any]]) -> Callable[[], list[Any]]:
    def run() -> list[Any]:
        messages = check(app_configs=None)
        if name in PASS_ONCE and not messages:
            _passed_once.add(name)
        return messages

    return run


def heartbeat(request: HttpRequest) -> JsonResponse:
    """Run the dependency and liveness checks; 500 when one of them is an error."""
    liveness = [import_string(path).__name__ for path in settings.ATMO_LIVENESS_CHECKS]
    results = dockerflow_checks.run_checks(
        _checks([*settings.DOCKERFLOW_CHECKS, *settings.ATMO_LIVENESS_CHECKS]),
        silenced_check_ids=settings.SILENCED_SYSTEM_CHECKS,
    )
    statuses = {**dict.fromkeys(_passed_once, "ok"), **results.statuses}
    if results.level < dockerflow_checks.ERROR:
        status_code = 200
        heartbeat_passed.send(sender=heartbeat, level=results.level)
    else:
        status_code = HEARTBEAT_FAILED_STATUS_CODE
        heartbeat_failed.send(sender=heartbeat, level=results.level)
    details = {name: detail for name, detail in results.details.items() if settings.DEBUG or name in liveness}
    payload = {
        "status": dockerflow_checks.level_to_text(results.level),
        "checks": statuses,
        "details": details,
    }
    return JsonResponse(payload, status=status_code)


def _routes_with_this_heartbeat() -> list[tuple[re.Pattern[str], Callable[[HttpRequest], Any]]]:
    routes = [
        (pattern, heartbeat if view is dockerflow_heartbeat else view)
        for pattern, view in DockerflowMiddleware.viewpatterns
    ]
    if not any(view is heartbeat for _pattern, view in routes):
        raise ImportError("dockerflow's middleware no longer routes /__heartbeat__ to its heartbeat view")
    return routes


#: Exceptions views raise on purpose, with the status the answer gets.
EXPECTED_EXCEPTIONS: dict[type[Exception], int] = {Http404: 404, PermissionDenied: 403}


class HeartbeatMiddleware(DockerflowMiddleware):
    """dockerflow's middleware (``/__version__``, ``/__lbheartbeat__``, request logs) with this heartbeat."""

    viewpatterns = _routes_with_this_heartbeat()

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """Log a missing or forbidden object as the answer it is (404, 403), not as an error.

        dockerflow logs every exception a view raises at ERROR with errno 500;
        a stale link or a guessed id is no failure of ours.
        """
        status = EXPECTED_EXCEPTIONS.get(type(exception)) or next(
            (code for kind, code in EXPECTED_EXCEPTIONS.items() if isinstance(exception, kind)), None
        )
        if status is None:
            return super().process_exception(request, exception)
        extra = self._build_extra_meta(request)
        extra["errno"] = status
        self.summary_logger.info(str(exception), extra=extra)
        request._has_exception = True  # type: ignore[attr-defined]  # dockerflow's own flag
        return None
