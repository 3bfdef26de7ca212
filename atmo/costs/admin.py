"""Operators' pages of the costs app: prices, budgets (with one-off exceptions) and the alerts sent."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from atmo.admin import ModelAdmin
from atmo.costs.models import Budget, BudgetAlert, InstancePrice
from atmo.costs.spend import month_start
from atmo.lib.costs import dollars


@admin.register(InstancePrice)
class InstancePriceAdmin(ModelAdmin):
    list_display = ["instance_type", "on_demand_hourly", "spot_hourly", "emr_hourly", "source", "modified_at"]
    search_fields = ["instance_type"]
    readonly_fields = ["created_at", "modified_at"]


@admin.register(Budget)
class BudgetAdmin(ModelAdmin):
    list_display = ["__str__", "monthly_limit", "spent_this_month", "exception_month", "modified_at"]
    list_select_related = ["user", "group"]
    search_fields = ["user__username", "user__email", "group__name"]
    filter_horizontal = ["maintainers"]
    readonly_fields = ["created_at", "modified_at"]
    actions = ["grant_exception_this_month", "withdraw_exception"]

    @admin.display(description="Spent this month (USD)")
    def spent_this_month(self, budget: Budget) -> Any:
        return dollars(budget.spent(month_start()))

    @admin.action(description="Grant a one-off exception for this month (nothing refused until the 1st)")
    def grant_exception_this_month(self, request: HttpRequest, queryset: QuerySet[Budget]) -> None:
        count = queryset.update(exception_month=month_start().date())
        self.message_user(
            request, f"Exception granted for this month to {count} budget(s).", messages.SUCCESS
        )

    @admin.action(description="Withdraw the exception")
    def withdraw_exception(self, request: HttpRequest, queryset: QuerySet[Budget]) -> None:
        count = queryset.update(exception_month=None)
        self.message_user(request, f"Exception withdrawn from {count} budget(s).", messages.SUCCESS)


@admin.register(BudgetAlert)
class BudgetAlertAdmin(ModelAdmin):
    list_display = ["budget", "month", "threshold", "spent", "sent_at"]
    list_filter = ["threshold", "month"]
    list_select_related = ["budget__user", "budget__group"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
