"""The login landing page and the page shown when a login is refused.

Logging in itself is mozilla-django-oidc's: the landing page's button starts
its flow at ``oidc_authentication_init``, and the provider's answer comes back
to its callback, which uses :class:`atmo.users.backends.AtmoOIDCAuthenticationBackend`.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.generic import TemplateView

from atmo.users.backends import LOGIN_REFUSED_SESSION_KEY


class LoginView(TemplateView):
    """Where anonymous visitors land: one button, "Sign in with single sign-on"."""

    template_name = "users/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """The context with ``sign_in_url``, which carries on the page the visitor asked for.

        ``login_required`` sends a visitor here with ``?next=<the page>``; passing that on
        to the OIDC flow brings them back to it after logging in, not to the dashboard.
        Only a path of this site is passed on.
        """
        context = super().get_context_data(**kwargs)
        sign_in_url = reverse("oidc_authentication_init")
        next_url = self.request.GET.get("next", "")
        is_ours = url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        )
        if next_url and is_ours:
            sign_in_url += "?" + urlencode({"next": next_url})
        context["sign_in_url"] = sign_in_url
        return context


class LoginFailedView(TemplateView):
    """Shown when the provider or ATMO refused a login, with the reason when ATMO knows it."""

    template_name = "users/login_failed.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """The context with ``reason``: the backend's explanation, shown once (it is popped)."""
        context = super().get_context_data(**kwargs)
        context["reason"] = self.request.session.pop(LOGIN_REFUSED_SESSION_KEY, "")
        return context
