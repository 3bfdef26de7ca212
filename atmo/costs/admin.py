"""Operators' pages of the costs app: prices, budgets (with one-off exceptions), the alerts sent, reports."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from atmo.admin import ModelAdmin, PageAdmin
from atmo.costs.models import Budget, BudgetAlert, CostReport, InstancePrice
from atmo.costs.reports import REPORTS, REPORTS_BY_SLUG, offered_months
from atmo.costs.spend import month_start
from atmo.costs.tables import ReportTable
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


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The admin's own checks, except that a signed-in non-staff user gets 403, not the login form.

    Django's admin sends anyone who is not staff to its login page; someone already
    signed in would only be asked to sign in again, so they are told "forbidden".
    """

    @wraps(view)
    def gate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not (user.is_active and user.is_staff):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return gate


@admin.register(CostReport)
class CostReportAdmin(PageAdmin):
    """Its change list is the report page (one table per report); nothing to add, change or delete."""

    def get_urls(self) -> list[URLPattern]:
        # Only the report pages: there is no row for the object views to show.
        info = self.opts.app_label, self.opts.model_name
        view = staff_only(self.admin_site.admin_view(self.changelist_view))
        return [
            path("", view, name="{}_{}_changelist".format(*info)),
            path("<slug:report>/", view, name="{}_{}_report".format(*info)),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None, report: str = ""
    ) -> HttpResponse:
        """One report of the period in ``?month=``, sorted by ``?o=``, as a page or ``?format=csv``."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        chosen = REPORTS_BY_SLUG.get(report or REPORTS[0].slug)
        if chosen is None:
            raise Http404(f"There is no cost report {report!r}.")
        table = ReportTable.of(chosen, request.GET)
        if request.GET.get("format") == "csv":
            return csv_response(table)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Cost report: {chosen.title.lower()}",
            "opts": self.model._meta,
            "reports": REPORTS,
            "table": table,
            "months": offered_months(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/costs/cost_report.html", context)


def csv_response(table: ReportTable) -> HttpResponse:
    response = HttpResponse(table.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table.filename}"'
    return response
