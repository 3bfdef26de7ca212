"""The OpenID Connect authentication backend."""

from __future__ import annotations

import logging
from typing import Any

from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from atmo.users.utils import email_domain, is_allowed_email

logger = logging.getLogger(__name__)

#: Session key under which a refused login leaves its reason for the failure page.
LOGIN_REFUSED_SESSION_KEY = "atmo_login_refused"


class AtmoOIDCAuthenticationBackend(OIDCAuthenticationBackend):
    """Creates users on first login; refuses email domains outside the allow-list."""

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

    def _refuse(self, reason: str) -> None:
        request = getattr(self, "request", None)
        if request is not None and hasattr(request, "session"):
            request.session[LOGIN_REFUSED_SESSION_KEY] = reason
