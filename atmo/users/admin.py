"""The admin pages of users and groups, in place of Django's stock ones.

Accounts are created by the first single sign-on login, so the user pages are
for finding people and setting their flags and groups: the times Django keeps
(``last_login``, ``date_joined``) are shown but not editable.

Staff who are not superusers may be given the right to change users or groups,
but never to raise anyone, themselves included, above their own rights: only a
superuser grants staff or superuser status, group memberships and permissions,
and only a superuser changes (or deletes) a superuser or another staff member.
Single sign-on matches accounts by email address, so whoever may change an
account's email may log in as it.

Disabling an account (unticking "active", or the "Disable" action) logs it out
at once: see :mod:`atmo.users.sessions`.
"""

from __future__ import annotations

from typing import Any

# Imported first so that the stock admins are registered, whatever the order of
# INSTALLED_APPS, before they are replaced below.
import django.contrib.auth.admin as auth_admin
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from atmo.admin import CheckedInputAdminMixin
from atmo.users.sessions import end_sessions

User = get_user_model()

#: The user fields that grant rights: read-only for staff who are not superusers.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")

admin.site.unregister(User)
admin.site.unregister(Group)


def outranks(account: Any, editor: Any) -> bool:
    """Whether ``editor``, were they not a superuser, must keep their hands off ``account``.

    A superuser's account, or another staff member's: either may hold rights the
    editor lacks, which changing its email would hand over.
    """
    if editor.is_superuser:
        return False
    return account.is_superuser or (account.is_staff and account.pk != editor.pk)


@admin.register(User)
class UserAdmin(CheckedInputAdminMixin, auth_admin.UserAdmin):
    """Users: who they are, their flags and when they were last seen."""

    list_display = ("username", "email", "is_staff", "is_superuser", "is_active", "last_login", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "date_joined")
    search_fields = ("username", "email")
    ordering = ("username",)
    readonly_fields = ("last_login", "date_joined")
    actions = ["disable_accounts"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        """Also the fields that grant rights, for staff who are not superusers."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += PRIVILEGE_FIELDS
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Save; an account that was just disabled is logged out everywhere."""
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            end_sessions(obj)

    @admin.action(description="Disable the selected accounts (logs them out at once)", permissions=["change"])
    def disable_accounts(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Disable each active account the staff member may change, except their own."""
        disabled, kept = [], []
        for account in queryset.filter(is_active=True).order_by("username"):
            if account.pk == request.user.pk or not self.has_change_permission(request, account):
                kept.append(account.get_username())
                continue
            account.is_active = False
            account.save(update_fields=["is_active"])
            end_sessions(account)
            disabled.append(account.get_username())
        if disabled:
            self.message_user(request, f"Disabled and logged out: {', '.join(disabled)}.", messages.SUCCESS)
        if kept:
            self.message_user(
                request,
                f"Left as they are (your own account, or one you may not change): {', '.join(kept)}.",
                messages.WARNING,
            )
        if not disabled and not kept:
            self.message_user(request, "The selected accounts were already disabled.", messages.INFO)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Django's rule, and never on an account that :func:`outranks` the staff member's own.

        Covers the password form too: Django's ``user_change_password`` asks this.
        """
        if obj is not None and outranks(obj, request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """As :meth:`has_change_permission`; the bulk delete action asks it per account."""
        if obj is not None and outranks(obj, request.user):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Group)
class GroupAdmin(CheckedInputAdminMixin, auth_admin.GroupAdmin):
    """Groups, with how many members each has (e.g. "Spark job maintainers")."""

    list_display = ("name", "member_count")
    search_fields = ("name",)
    filter_horizontal = ("permissions",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        """Also the permissions, for staff who are not superusers: they could grant ones they lack."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ("permissions",)
        return fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_count=Count("user", distinct=True))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, group: Group) -> int:
        return group.member_count  # type: ignore[attr-defined]
