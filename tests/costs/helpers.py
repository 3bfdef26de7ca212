"""Helpers of the cost tests."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.utils import timezone

from atmo.jobs.models import SparkJobRun
from tests.jobs.factories import SparkJobRunFactory


def seed_prices() -> None:
    """The price rows the data migration seeds (a transactional test before may have emptied the table)."""
    importlib.import_module("atmo.costs.migrations.0002_seed_instance_prices").seed(apps, None)


def ended_run(job: Any, minutes: float, cost: str | None = None, start: Any = None, **fields: Any) -> Any:
    """A run of ``job`` that started at ``start`` (5 hours ago) and ended ``minutes`` later.

    It succeeded unless ``fields`` say otherwise (a status, ``timed_out_at``).
    """
    start = start or timezone.now() - timedelta(hours=5)
    fields.setdefault("status", SparkJobRun.State.TERMINATED)
    return SparkJobRunFactory(
        spark_job=job,
        scheduled_at=start,
        created_at=start,
        finished_at=start + timedelta(minutes=minutes),
        cost=Decimal(cost) if cost is not None else None,
        **fields,
    )
