"""Typed readers for deploy-time settings taken from the environment.

Each reader fails loudly, naming the variable, when a value cannot be parsed:
a typo in a deployment should stop the process at start-up, not surface as a
confusing error in the middle of a request or a task. An empty value counts as
unset (``.env-dist`` lists every variable, most of them blank).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"0", "false", "no", "off"})


def envstr(name: str, default: str = "") -> str:
    """The variable's value, or ``default`` when unset.

    ``NAME_FILE`` pointing to a file takes precedence, so secrets can come from
    mounted files (Docker/Kubernetes secrets) instead of the process environment.
    """
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE points to an unreadable file: {exc}") from exc
    return os.environ.get(name) or default


def envbool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false/1/0), got {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def envfloat(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def envlist(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blank items are dropped."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def require(name: str, value: str, environment: str) -> str:
    """Refuse an empty value for a variable the given environment needs."""
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when ATMO_ENVIRONMENT={environment}")
    return value
