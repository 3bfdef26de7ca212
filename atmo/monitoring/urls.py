"""The metrics endpoint, at the site's root (Prometheus' default ``metrics_path``)."""

from django.urls import path

from atmo.monitoring import views

urlpatterns = [path("metrics", views.metrics, name="metrics")]
