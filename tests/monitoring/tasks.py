"""Celery tasks that only the monitoring tests send: a failure of each kind, and a retry."""

from __future__ import annotations

from typing import Any

from atmo.celery import celery


@celery.task(name="tests.monitoring.refuse", throws=(LookupError,))
def refuse(kind: str) -> None:
    """Fails: with a LookupError (declared expected) or a RuntimeError."""
    raise LookupError(kind) if kind == "expected" else RuntimeError(kind)


@celery.task(name="tests.monitoring.retry_once", bind=True, max_retries=1)
def retry_once(self: Any) -> str:
    """Asks to be retried on its first attempt."""
    if self.request.retries == 0:
        raise self.retry(countdown=0)
    return "done"
