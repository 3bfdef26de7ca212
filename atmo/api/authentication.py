"""Who an API request acts for: the user of a personal access token, or of a session."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from atmo.api.models import AccessToken

#: What a client is told when its token is refused, by reason.
REFUSALS = {
    "invalid": "The access token is not valid.",
    "revoked": "The access token was revoked.",
    "expired": "The access token has expired.",
    "disabled": "The account of this access token is disabled.",
}


class AccessTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer atmo_…``: a personal access token (see :class:`AccessToken`).

    The user's own ``is_active`` is read on every request (the token and its user
    come in one query), so disabling an account stops its tokens at once.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, AccessToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(REFUSALS["invalid"])
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(REFUSALS["invalid"]) from exc
        token = AccessToken.find(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(REFUSALS["invalid"])
        if token.is_revoked:
            raise exceptions.AuthenticationFailed(REFUSALS["revoked"])
        if token.is_expired():
            raise exceptions.AuthenticationFailed(REFUSALS["expired"])
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(REFUSALS["disabled"])
        token.note_use()
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        """The ``WWW-Authenticate`` of a 401, which makes DRF answer 401 rather than 403."""
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's session (for the API reference page), with CSRF checks on writes.

    A disabled account's session never gets here as its user: the backends refuse
    inactive users and the disabled-account middleware ends the session.
    """
