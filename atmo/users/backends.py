"""The authentication backends: OpenID Connect for everyone, passwords only to break the glass.

Both check ``is_active`` on every request, in ``get_user``: a session of an
account an administrator disabled authenticates nobody from its next request
on, whatever the session engine (:mod:`atmo.users.middleware` then says why).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from atmo.users.utils import email_domain, is_allowed_email

logger = logging.getLogger(__name__)

#: Session key under which a refused login leaves its reason for the failure page.
LOGIN_REFUSED_SESSION_KEY = "atmo_login_refused"
#: What a person whose account was disabled reads, at login and on their next request.
ACCOUNT_DISABLED_MESSAGE = (
    "Your ATMO account is disabled, so you cannot use ATMO. "
    "If you need access again, ask an administrator to enable your account."
)


class AtmoOIDCAuthenticationBackend(OIDCAuthenticationBackend):
    """Creates users on first login; refuses email domains outside the allow-list and disabled accounts."""

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        """Accept claims that carry an email address of an allowed domain.

        A refusal leaves its reason in the session for :class:`atmo.users.views.LoginFailedView`.
        """
        if not super().verify_claims(claims):
            self._refuse("Your identity provider did not share an email address with ATMO.")
            return False
        email = claims.get("email", "")
        if not is_allowed_email(email):
            logger.info("login refused", extra={"email_domain": email_domain(email)})
            self._refuse(
                f"Accounts from {email_domain(email) or 'your email domain'} cannot use ATMO. "
                "Log in with an address of an allowed domain, or ask an administrator."
            )
            return False
        return True

    def get_or_create_user(self, access_token: str, id_token: str | None, payload: Any) -> Any:
        """The account of the claims, or None when it is disabled.

        Every way in through the provider passes here: the login callback, and
        mozilla-django-oidc's bearer-token authentication for an API
        (``mozilla_django_oidc.contrib.drf.OIDCAuthentication``).
        """
        user = super().get_or_create_user(access_token, id_token, payload)
        if user is not None and not user.is_active:
            logger.info("login refused: account disabled", extra={"user_id": user.pk})
            self._refuse(ACCOUNT_DISABLED_MESSAGE)
            return None
        return user

    def get_user(self, user_id: Any) -> Any:
        """The session's user, unless their account was disabled meanwhile."""
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def _refuse(self, reason: str) -> None:
        request = getattr(self, "request", None)
        if request is not None and hasattr(request, "session"):
            request.session[LOGIN_REFUSED_SESSION_KEY] = reason


class BreakGlassModelBackend(ModelBackend):
    """Django's model permissions for everyone; a password login only when the glass is broken.

    With ``ATMO_BREAK_GLASS_PASSWORD_LOGIN`` off (the default), no username and
    password log anyone in, whatever form asks: single sign-on is the only way
    in. ``get_user`` and the permission checks stay Django's (which refuse
    inactive accounts).
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> Any:
        """The account of a right username and password, while the break-glass setting is on."""
        if not settings.ATMO_BREAK_GLASS_PASSWORD_LOGIN:
            return None
        user = super().authenticate(request, *args, **kwargs)
        if user is not None:
            logger.warning("break-glass password login", extra={"user_id": user.pk})
        return user
