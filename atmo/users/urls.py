"""URLs of the login pages, under ``/users/``; the OIDC flow itself is under ``/oidc/``."""

from django.urls import path

from atmo.users import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="users-login"),
    path("login/failed/", views.LoginFailedView.as_view(), name="users-login-failed"),
]
