"""Usage metrics: one row per measurement, keyed by what was measured."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


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
        return cls.objects.create(key=key, value=value, created_at=created_at or timezone.now(), data=data)
