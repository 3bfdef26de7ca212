from __future__ import annotations

from django.contrib import admin

from atmo.keys.models import SSHKey


@admin.register(SSHKey)
class SSHKeyAdmin(admin.ModelAdmin):
    list_display = ["title", "created_by", "prefix", "fingerprint", "created_at", "modified_at"]
    list_filter = ["created_at", "modified_at"]
    search_fields = ["title", "fingerprint", "created_by__email"]
    readonly_fields = ["fingerprint", "created_at", "modified_at"]
    # One query for the owners of a whole page, not one per row.
    list_select_related = ["created_by"]
