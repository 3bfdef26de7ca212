"""When each periodic sweep last ran, and the admin's system page."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone


class Sweep(models.Model):
    """The last run of one periodic sweep (an entry of ``CELERY_BEAT_SCHEDULE``).

    Written by the worker when the sweep's task ends (:mod:`atmo.monitoring.signals`);
    kept in PostgreSQL so that an overdue sweep is still noticed after Redis was lost.
    """

    OUTCOME_SUCCESS = "success"

    #: The entry's name in ``CELERY_BEAT_SCHEDULE``, e.g. ``update_clusters``.
    name = models.CharField(max_length=100, unique=True)
    task = models.CharField(max_length=200)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_finished_at = models.DateTimeField()
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    #: ``success``, ``failure``, ``expected_failure`` or ``retry``.
    last_outcome = models.CharField(max_length=30)
    last_duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    last_rows_changed = models.IntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def record(
        cls,
        name: str,
        task: str,
        outcome: str,
        duration: float | None,
        rows_changed: int | None,
        error: str = "",
    ) -> None:
        """Upsert the sweep's row in one statement; a success also moves ``last_succeeded_at``."""
        now = timezone.now()
        succeeded = outcome == cls.OUTCOME_SUCCESS
        row = cls(
            name=name,
            task=task,
            first_seen_at=now,
            last_finished_at=now,
            last_succeeded_at=now if succeeded else None,
            last_outcome=outcome,
            last_duration=duration,
            last_rows_changed=rows_changed,
            last_error=error,
        )
        fields = [
            "task",
            "last_finished_at",
            "last_outcome",
            "last_duration",
            "last_rows_changed",
            "last_error",
        ]
        if succeeded:
            fields.append("last_succeeded_at")
        Sweep.objects.bulk_create([row], update_conflicts=True, unique_fields=["name"], update_fields=fields)

    def succeeded_since(self) -> datetime:
        """The time the overdue clock starts from: the last success, else when the sweep was first seen."""
        return self.last_succeeded_at or self.first_seen_at


class SystemStatus(models.Model):
    """No table: it gives the admin its *System status* page and the permission to see it."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = "system status"
        verbose_name_plural = "system status"

    def __str__(self) -> str:
        return "system status"
