"""URL routes of the clusters pages."""

from __future__ import annotations

from django.urls import path

from atmo.clusters import views

urlpatterns = [
    path("", views.list_clusters, name="clusters-list"),
    path("new/", views.new_cluster, name="clusters-new"),
    path("<int:id>/", views.detail_cluster, name="clusters-detail"),
    path("<int:id>/extend/", views.extend_cluster, name="clusters-extend"),
    path("<int:id>/terminate/", views.terminate_cluster, name="clusters-terminate"),
]
