"""Moments as people say them: "in 3 h", "2 days ago" (static/js/atmo.js refreshes them the same way)."""

from __future__ import annotations

from datetime import datetime

#: (seconds, singular, plural) from the largest unit down.
UNITS = ((86400, "day", "days"), (3600, "h", "h"), (60, "min", "min"))


def relative(moment: datetime, now: datetime) -> str:
    """``moment`` seen from ``now`` in its largest whole unit: "in 3 h", "2 days ago", "just now"."""
    seconds = int((moment - now).total_seconds())
    distance = abs(seconds)
    for size, singular, plural in UNITS:
        if distance >= size:
            amount = distance // size
            said = f"{amount} {singular if amount == 1 else plural}"
            return f"in {said}" if seconds > 0 else f"{said} ago"
    return "in under a minute" if seconds > 0 else "just now"
