"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.http import HttpRequest

from atmo.version import get_version

DRAGONS = (
    "Here be dragons! This is not the production site: it may be unstable and its data may "
    "disappear at any time."
)


def settings(request: HttpRequest) -> dict[str, Any]:
    return {"settings": django_settings}


def version(request: HttpRequest) -> dict[str, Any]:
    info = get_version(django_settings.BASE_DIR) or {}
    return {"version": info.get("version", ""), "commit": (info.get("commit") or "")[:7]}


def alerts(request: HttpRequest) -> dict[str, Any]:
    """``environment_notice``: a warning shown on every page of a non-production site.

    Decided by the configured environment, not by guessing from the host name.
    """
    if django_settings.ENVIRONMENT in ("dev", "stage"):
        return {"environment_notice": DRAGONS}
    return {"environment_notice": ""}
