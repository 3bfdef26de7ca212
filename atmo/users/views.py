"""The login landing page and the page shown when a login is refused."""

from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from atmo.users.backends import LOGIN_REFUSED_SESSION_KEY


class LoginView(TemplateView):
    template_name = "users/login.html"


class LoginFailedView(TemplateView):
    template_name = "users/login_failed.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["reason"] = self.request.session.pop(LOGIN_REFUSED_SESSION_KEY, "")
        return context
