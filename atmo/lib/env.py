"""Typed readers for deploy-time settings taken from the environment.

Every reader takes the variable's name and a default, and reads the value the
same way (:func:`envraw`):

* ``NAME_FILE``, when set, names a file whose stripped contents are the value
  and take precedence over ``NAME``: secrets and host lists can come from
  mounted files (Docker or Kubernetes secrets) instead of the process
  environment.
* An empty or blank value counts as unset, so the default applies
  (``.env-dist`` lists every variable, most of them blank).

Each reader fails loudly, naming the variable, when a value cannot be parsed:
a typo in a deployment should stop the process at start-up, not surface as a
confusing error in the middle of a request or a task.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

#: The spellings :func:`envbool` reads as true (compared case-insensitively).
TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
#: The spellings :func:`envbool` reads as false (compared case-insensitively).
FALSE_VALUES = frozenset({"0", "false", "no", "off"})


def envraw(name: str) -> str | None:
    """The stripped value of ``NAME_FILE``'s file or else of ``NAME``; None when unset or blank.

    Raises ``ImproperlyConfigured`` when ``NAME_FILE`` names a file that cannot be read:
    a secret that was meant to be mounted and is not must not fall back to a default.
    """
    file_path = os.environ.get(f"{name}_FILE", "").strip()
    if file_path:
        try:
            raw = Path(file_path).read_text()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE points to an unreadable file: {exc}") from exc
    else:
        raw = os.environ.get(name, "")
    return raw.strip() or None


def envstr(name: str, default: str = "", *, required_in: str | None = None) -> str:
    """The value, or ``default`` when unset or blank.

    With ``required_in`` (the environment, e.g. ``prod``) there is no default: an
    unset or blank value raises ``ImproperlyConfigured`` (see :func:`require`).
    """
    raw = envraw(name)
    if raw is None:
        return require(name, "", required_in) if required_in else default
    return raw


def envbool(name: str, default: bool = False) -> bool:
    """The variable as a boolean: one of :data:`TRUE_VALUES` or :data:`FALSE_VALUES`.

    ``default`` when unset or blank; anything else raises ``ImproperlyConfigured``.
    """
    raw = envraw(name)
    if raw is None:
        return default
    value = raw.lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false/1/0), got {raw!r}")


def envint(name: str, default: int) -> int:
    """The variable as an integer; ``default`` when unset or blank.

    Raises ``ImproperlyConfigured`` when the value is not an integer.
    """
    raw = envraw(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def envfloat(name: str, default: float) -> float:
    """The variable as a number (``10``, ``2.5``); ``default`` when unset or blank.

    Raises ``ImproperlyConfigured`` when the value is not a number.
    """
    raw = envraw(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def envlist(name: str, default: Sequence[str] = (), *, required_in: str | None = None) -> list[str]:
    """A comma-separated list with its items stripped and blank items dropped.

    A value with no item at all (``","``) counts as unset, like a blank one, and
    gives a copy of ``default``; with ``required_in`` it is refused, as by :func:`envstr`.
    """
    raw = envraw(name)
    items = [item.strip() for item in (raw or "").split(",") if item.strip()]
    if not items and required_in:
        require(name, "", required_in)
    return items or list(default)


def require(name: str, value: str, environment: str) -> str:
    """Return ``value``; refuse it when empty, since ``environment`` needs it.

    Raises ``ImproperlyConfigured`` naming the variable and the environment.
    """
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when ATMO_ENVIRONMENT={environment}")
    return value
