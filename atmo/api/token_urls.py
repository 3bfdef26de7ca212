"""URLs of the access tokens page, under ``/tokens/``."""

from django.urls import path

from atmo.api import views

urlpatterns = [
    path("", views.list_tokens, name="tokens-list"),
    path("<int:id>/revoke/", views.revoke_token, name="tokens-revoke"),
]
