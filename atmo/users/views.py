"""The login landing page, the page shown when a login is refused, and the admin's login.

Logging in itself is mozilla-django-oidc's: the landing page's button starts
its flow at ``oidc_authentication_init``, and the provider's answer comes back
to its callback, which uses :class:`atmo.users.backends.AtmoOIDCAuthenticationBackend`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from atmo.users.backends import LOGIN_REFUSED_SESSION_KEY

#: Why a logged-in person is turned away from the admin.
NOT_STAFF_MESSAGE = (
    "Your account has no access to the administration pages. "
    "If you need it, ask an administrator to give your account staff status."
)


def safe_next_url(request: HttpRequest) -> str:
    """The ``next`` parameter when it is a page of this site, else ""."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    is_ours = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return next_url if is_ours else ""


def sign_in_url(request: HttpRequest) -> str:
    """Where single sign-on starts, carrying on the page the visitor asked for.

    ``login_required`` sends a visitor to the login page with ``?next=<the page>``;
    passing that on to the OIDC flow brings them back to it after logging in,
    not to the dashboard. Only a path of this site is passed on.
    """
    url = reverse("oidc_authentication_init")
    next_url = safe_next_url(request)
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else url


class LoginView(TemplateView):
    """Where anonymous visitors land: one button, "Sign in with single sign-on"."""

    template_name = "users/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sign_in_url"] = sign_in_url(self.request)
        return context


class LoginFailedView(TemplateView):
    """Shown when the provider or ATMO refused a login, with the reason when ATMO knows it."""

    template_name = "users/login_failed.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """The context with ``reason``: the backend's explanation, shown once (it is popped)."""
        context = super().get_context_data(**kwargs)
        context["reason"] = self.request.session.pop(LOGIN_REFUSED_SESSION_KEY, "")
        return context


@never_cache
def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """``/admin/login/``: single sign-on, never a password form unless the glass is broken.

    Anonymous visitors go to the provider and come back to the admin page they
    asked for; staff are sent on to it; anyone else logged in gets a 403 that
    says why (sending them to the provider again would loop). With
    ``ATMO_BREAK_GLASS_PASSWORD_LOGIN`` on, it is Django's password form.
    """
    if settings.ATMO_BREAK_GLASS_PASSWORD_LOGIN:
        return admin.AdminSite.login(admin.site, request, extra_context)
    if not request.user.is_authenticated:
        return redirect(sign_in_url(request))
    if request.user.is_staff:
        return redirect(safe_next_url(request) or reverse("admin:index"))
    raise PermissionDenied(NOT_STAFF_MESSAGE)
