"""Natural ordering of dotted version strings ("5.11.0" after "5.9.0")."""

from __future__ import annotations

import re

_PART = re.compile(r"^(\d*)(.*)$")
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")
PART_WIDTH = 6
#: Marks a part with nothing after its number ("0" in "6.0.0").
FINAL_MARK = "z"
#: Marks a part with text after its number ("0-beta"), before that text.
PRE_RELEASE_MARK = "a"


def version_sort_key(version: str) -> str:
    """A string that sorts like the version it encodes, on any database.

    Each dotted part becomes its zero-padded number and a mark: ``5.11.0`` ->
    ``000005z.000011z.000000z``. A part with text after its number is a
    pre-release of that number (``6.0.0-beta`` sorts below ``6.0.0``): its mark
    sorts lower and its text follows. The key holds only lowercase letters,
    digits and dots, because PostgreSQL's locale collations may ignore
    punctuation and fold case, which would otherwise order keys differently
    from SQLite.
    """
    parts = []
    for part in version.strip().split("."):
        number, rest = _PART.match(part).groups()  # type: ignore[union-attr]
        text = _NOT_ALPHANUMERIC.sub("", rest.lower())
        mark = PRE_RELEASE_MARK + text if text else FINAL_MARK
        parts.append(number.zfill(PART_WIDTH) + mark)
    return ".".join(parts)
