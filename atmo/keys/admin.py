"""Public SSH keys that analysts install on their clusters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from atmo.admin import ModelAdmin
from atmo.keys.forms import refuse_duplicate, refuse_taken_title, validate_public_key
from atmo.keys.models import SSHKey


class SSHKeyAdminForm(forms.ModelForm):
    """The admin's key form, checking the key with the same rules as the site's form.

    Without it a malformed key reached ``SSHKey.save()``, whose fingerprint
    calculation failed with a server error, and a truncated key was stored.
    """

    class Meta:
        model = SSHKey
        fields = ["title", "key", "created_by"]

    def clean_key(self) -> str:
        text = (self.cleaned_data.get("key") or "").strip()
        validate_public_key(text)
        return text

    def clean(self) -> dict[str, Any]:
        """Refuse a key or title its owner already has: the database would refuse it with an error page."""
        super().clean()
        cleaned = self.cleaned_data
        owner = cleaned.get("created_by") or getattr(self.instance, "created_by", None)
        if owner is None:
            return cleaned
        checks = [("key", refuse_duplicate), ("title", refuse_taken_title)]
        for field, refuse in checks:
            if field in cleaned:
                try:
                    refuse(owner, cleaned[field], exclude_pk=self.instance.pk)
                except forms.ValidationError as error:
                    self.add_error(field, error)
        return cleaned


class KeyTypeFilter(admin.SimpleListFilter):
    """Filters keys by their type (the first word of the key), among the accepted ones."""

    title = "key type"
    parameter_name = "key_type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(prefix, prefix) for prefix in SSHKey.VALID_PREFIXES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[SSHKey]) -> QuerySet[SSHKey]:
        if self.value() in SSHKey.VALID_PREFIXES:
            # Keys are stored stripped, so the type is followed by a space.
            return queryset.filter(key__startswith=f"{self.value()} ")
        return queryset


@admin.register(SSHKey)
class SSHKeyAdmin(ModelAdmin):
    """Every user's SSH keys, for operators: find a key by fingerprint or owner, fix a title."""

    form = SSHKeyAdminForm
    list_display = ["title", "created_by", "key_type", "fingerprint", "created_at", "modified_at"]
    list_filter = [KeyTypeFilter, "created_at", "modified_at"]
    search_fields = ["title", "fingerprint", "created_by__email"]
    readonly_fields = ["fingerprint", "created_at", "modified_at"]
    # One query for the owners of a whole page, not one per row.
    list_select_related = ["created_by"]
    # A user list can be long: type an id instead of loading a select.
    raw_id_fields = ["created_by"]

    @admin.display(description="key type")
    def key_type(self, ssh_key: SSHKey) -> str:
        return ssh_key.type_name

    def get_readonly_fields(self, request: HttpRequest, obj: SSHKey | None = None) -> Any:
        # The owner's object permissions are granted at creation only: another
        # owner afterwards would leave them with the wrong user.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "created_by"] if obj is not None else fields
