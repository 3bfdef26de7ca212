"""URL routes of the keys pages."""

from __future__ import annotations

from django.urls import path

from atmo.keys import views

urlpatterns = [
    path("", views.list_keys, name="keys-list"),
    path("new/", views.new_key, name="keys-new"),
    path("<int:id>/", views.detail_key, name="keys-detail"),
    path("<int:id>/raw/", views.detail_key, {"raw": True}, name="keys-raw"),
    path("<int:id>/delete/", views.delete_key, name="keys-delete"),
]
