"""Metrics are read-only in the admin: they are records, not settings."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from atmo.admin import ModelAdmin
from atmo.stats.models import Metric


@admin.register(Metric)
class MetricAdmin(ModelAdmin):
    """The recorded metrics, to browse and filter; nobody adds or edits them here."""

    list_display = ["key", "value", "created_at", "data"]
    list_filter = ["key", "created_at"]
    search_fields = ["key", "data"]
    date_hierarchy = "created_at"
    readonly_fields = ["key", "value", "created_at", "data"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Never: metrics are recorded by the code, as things happen."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Never: a record is not edited after the fact."""
        return False
