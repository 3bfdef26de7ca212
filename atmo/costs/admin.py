"""Operators' pages of the costs app: prices."""

from __future__ import annotations

from django.contrib import admin

from atmo.admin import ModelAdmin
from atmo.costs.models import InstancePrice


@admin.register(InstancePrice)
class InstancePriceAdmin(ModelAdmin):
    list_display = ["instance_type", "on_demand_hourly", "spot_hourly", "emr_hourly", "source", "modified_at"]
    search_fields = ["instance_type"]
    readonly_fields = ["created_at", "modified_at"]
