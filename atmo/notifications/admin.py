"""Operators see every webhook endpoint and delivery; secrets stay out of the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from atmo.admin import ModelAdmin
from atmo.notifications.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ModelAdmin):
    list_display = ["name", "created_by", "target_url", "format", "spark_job", "created_at"]
    list_filter = ["format"]
    search_fields = ["name", "target_url", "created_by__username"]
    readonly_fields = ("created_by", "name", "target_url", "format", "events", "spark_job", "created_at")
    fields = readonly_fields
    list_select_related = ["created_by", "spark_job"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an endpoint is its user's to make, with a secret they are shown


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ModelAdmin):
    list_display = ["event", "endpoint", "outcome", "response_status", "attempts", "created_at", "error"]
    list_filter = ["event", "response_status"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    list_select_related = ["endpoint"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
