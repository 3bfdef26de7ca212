"""Operators list every personal access token and revoke any of them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from atmo.admin import ModelAdmin
from atmo.api.models import AccessToken


class TokenStateFilter(admin.SimpleListFilter):
    """Usable, expired or revoked."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("usable", "Usable"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AccessToken]) -> QuerySet[AccessToken]:
        if self.value() == "usable":
            return queryset.usable()  # type: ignore[attr-defined]
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(AccessToken)
class AccessTokenAdmin(ModelAdmin):
    """Tokens are made by their owners only: the admin shows them and revokes them."""

    list_display = [
        "name",
        "user",
        "shown_prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [TokenStateFilter, "scope"]
    search_fields = ["name", "user__username", "user__email", "shown_prefix"]
    list_select_related = ["user"]
    readonly_fields = [
        "user",
        "name",
        "scope",
        "shown_prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    fields = tuple(readonly_fields)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a secret must be shown to its owner, once: only the tokens page makes tokens

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[AccessToken]) -> None:
        revoked = sum(token.revoke() for token in queryset)
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)
