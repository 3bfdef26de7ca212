"""Natural ordering of dotted version strings ("5.11.0" after "5.9.0")."""

from __future__ import annotations

import re

_LEADING_DIGITS = re.compile(r"^(\d*)(.*)$")
PART_WIDTH = 6


def version_sort_key(version: str) -> str:
    """A string that sorts like the version it encodes, on any database.

    Each dotted part's leading number is zero-padded (``5.11.0`` ->
    ``000005.000011.000000``); any text after it (``0-beta``) is kept, so
    non-numeric parts still order consistently instead of failing.
    """
    parts = []
    for part in version.strip().split("."):
        number, rest = _LEADING_DIGITS.match(part).groups()  # type: ignore[union-attr]
        parts.append(number.zfill(PART_WIDTH) + rest)
    return ".".join(parts)
