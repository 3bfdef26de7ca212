"""The admin pages of users and groups, in place of Django's stock ones.

Accounts are created by the first single sign-on login, so the user pages are
for finding people and setting their flags and groups: the times Django keeps
(``last_login``, ``date_joined``) are shown but not editable, and only a
superuser may grant superuser status.
"""

from __future__ import annotations

from typing import Any

# Imported first so that the stock admins are registered, whatever the order of
# INSTALLED_APPS, before they are replaced below.
import django.contrib.auth.admin as auth_admin
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, QuerySet
from django.http import HttpRequest

User = get_user_model()

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Users: who they are, their flags and when they were last seen."""

    list_display = ("username", "email", "is_staff", "is_superuser", "is_active", "last_login", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "date_joined")
    search_fields = ("username", "email")
    ordering = ("username",)
    readonly_fields = ("last_login", "date_joined")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        """Also ``is_superuser`` for staff who are not superusers: they must not raise anyone
        (themselves included) above their own rights."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ("is_superuser",)
        return fields


@admin.register(Group)
class GroupAdmin(auth_admin.GroupAdmin):
    """Groups, with how many members each has (e.g. "Spark job maintainers")."""

    list_display = ("name", "member_count")
    search_fields = ("name",)
    filter_horizontal = ("permissions",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        """Groups with their member count, counted by the database in the same query."""
        return super().get_queryset(request).annotate(member_count=Count("user", distinct=True))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, group: Group) -> int:
        """The number of users in the group."""
        return group.member_count  # type: ignore[attr-defined]
