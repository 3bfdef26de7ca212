"""URLs of the webhooks page, under ``/webhooks/``."""

from django.urls import path

from atmo.notifications import views

urlpatterns = [
    path("", views.list_webhooks, name="webhooks-list"),
    path("<int:id>/", views.detail_webhook, name="webhooks-detail"),
    path("<int:id>/delete/", views.delete_webhook, name="webhooks-delete"),
]
