from django.contrib import admin

from atmo.clusters.models import EMRRelease


@admin.register(EMRRelease)
class EMRReleaseAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "is_active",
        "is_experimental",
        "is_deprecated",
        "changelog_url",
        "modified_at",
    ]
    list_filter = ["is_active", "is_experimental", "is_deprecated"]
    search_fields = ["version", "changelog_url", "help_text"]
    readonly_fields = ["created_at", "modified_at"]
