"""Counts the mails ATMO sends and keeps the latest failures for the system page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from atmo.monitoring import incidents, metrics


@contextmanager
def counted(template: str) -> Iterator[None]:
    """Count what the block sends as sent, or, when it raises, as failed (the error goes on)."""
    try:
        yield
    except Exception as exc:
        metrics.MAILS_FAILED.labels(template).inc()
        incidents.remember(
            incidents.MAIL_FAILURES_KEY, template=template, error=f"{type(exc).__name__}: {exc}"[:300]
        )
        raise
    metrics.MAILS_SENT.labels(template).inc()
