"""Usage metrics: one row per measurement, keyed by what was measured."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

#: The metrics recorded inside :meth:`Metric.batched`, written when it ends (None outside it).
_batch: ContextVar[list[Metric] | None] = ContextVar("metric_batch", default=None)


class Metric(models.Model):
    """One measurement, e.g. ``cluster-time-to-ready`` = 412 (seconds)."""

    created_at = models.DateTimeField(editable=False, blank=True, default=timezone.now, db_index=True)
    key = models.CharField(max_length=100, db_index=True)
    value = models.PositiveIntegerField()
    data = models.JSONField(encoder=DjangoJSONEncoder, null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"

    @classmethod
    def record(
        cls,
        key: str,
        value: int = 1,
        created_at: datetime | None = None,
        data: dict[str, Any] | None = None,
    ) -> Metric:
        """Save one measurement; inside :meth:`batched`, when the batch ends."""
        metric = cls(key=key, value=value, created_at=created_at or timezone.now(), data=data)
        batch = _batch.get()
        if batch is None:
            metric.save()
        else:
            batch.append(metric)
        return metric

    @classmethod
    @contextmanager
    def batched(cls) -> Iterator[None]:
        """The metrics recorded inside the block are written together (one INSERT) at its end.

        For a sweep that records one per changed row; nothing is written if the block raises.
        """
        batch: list[Metric] = []
        token = _batch.set(batch)
        try:
            yield
        finally:
            _batch.reset(token)
        Metric.objects.bulk_create(batch)
