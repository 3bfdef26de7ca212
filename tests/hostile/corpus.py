"""The hostile values: what a careless script, a fuzzer or an attacker types into a field."""

from __future__ import annotations

#: Numbers no field accepts: empty, not numbers, fractions, beyond any column, a NUL.
BAD_NUMBERS = [
    "",
    " ",
    "x",
    "1.5",
    "1e400",
    "NaN",
    "inf",
    "0x10",
    "99999999999999999999",
    "-99999999999999999999",
    "\x00",
    "1\x00",
    "[1]",
]

#: Ids that name no row of the user's: not ids, negative, huge, a NUL.
BAD_IDS = ["", "x", "-1", "0", "1.5", "99999999999999999999", "\x00", "' OR 1=1 --", "[1]"]

#: Text no name-like field accepts: empty, blank, NUL characters, far too long.
BAD_TEXT = ["", "   ", "\x00", "a\x00b", "x" * 10_000]

#: Identifiers (clusters, jobs) must be lowercase letters, digits and hyphens.
BAD_IDENTIFIERS = [
    *BAD_TEXT,
    "Bad Name",
    "a" * 101,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "caf\u00e9",
    "\u202egnp.exe",
    "😀",
    "{{ 7|add:7 }}",
]

#: Dates and times the forms cannot read, and years no column holds.
BAD_DATES = [
    "x",
    "2026-13-45 00:00",
    "2026-02-30 10:00",
    "2026-01-01 25:61",
    "99999-01-01 00:00",
    "0000-00-00 00:00",
    "-1",
    "now",
    "\x00",
    "2026-01-01\x00 00:00",
]

#: Hostile filters for any field of an admin change list: ``{lookup suffix: value}`` pairs.
#: Not the type, beyond any column, a NUL, a broken list or regular expression.
FIELD_FILTERS = [
    ("", "x"),
    ("", "-1"),
    ("", "99999999999999999999"),
    ("", "\x00"),
    ("__gt", "99999999999999999999"),
    ("__in", "1,x"),
    ("__isnull", "x"),
    ("__regex", "("),
]
#: More for date and time fields: years no date holds (and 9999, whose next year none does).
DATE_FILTERS = [
    ("__year", "99999"),
    ("__year", "9999"),
    ("__year", "-1"),
    ("__year__gt", "99999"),
    ("__date", "2026-13-45"),
    ("__gte", "99999-01-01"),
    ("__month", "13"),
    ("__hour", "99"),
]
#: More for JSON fields: keys and paths with a NUL or of the wrong type.
JSON_FILTERS = [("__has_key", "\x00"), ("__contains", "x"), ("__id", "\x00"), ("__id__gt", "x")]
