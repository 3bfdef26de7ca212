"""The login landing page and the page shown when a login is refused.

Logging in itself is mozilla-django-oidc's: the landing page's button starts
its flow at ``oidc_authentication_init``, and the provider's answer comes back
to its callback, which uses :class:`atmo.users.backends.AtmoOIDCAuthenticationBackend`.
"""

from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from atmo.users.backends import LOGIN_REFUSED_SESSION_KEY


class LoginView(TemplateView):
    """Where anonymous visitors land: one button, "Sign in with single sign-on"."""

    template_name = "users/login.html"


class LoginFailedView(TemplateView):
    """Shown when the provider or ATMO refused a login, with the reason when ATMO knows it."""

    template_name = "users/login_failed.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """The context with ``reason``: the backend's explanation, shown once (it is popped)."""
        context = super().get_context_data(**kwargs)
        context["reason"] = self.request.session.pop(LOGIN_REFUSED_SESSION_KEY, "")
        return context
