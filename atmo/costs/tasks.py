"""Celery tasks of the costs app."""

from __future__ import annotations

from atmo.celery import celery
from atmo.costs import budgets


@celery.task
def check_budgets() -> list[tuple[int, int]]:
    """Mail the 80 % and 100 % budget alerts newly due; safe to run twice at once (see budgets.alert)."""
    return budgets.check_budgets()
