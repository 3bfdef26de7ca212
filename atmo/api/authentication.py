"""Who an API request acts for: the user of a personal access token, or of a session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from atmo.api.models import AccessToken, hash_token
from atmo.users.backends import ACCOUNT_DISABLED_MESSAGE

#: What a client is told when its token is refused, by reason.
REFUSALS = {
    "invalid": "The access token is not valid.",
    "revoked": "The access token was revoked.",
    "expired": "The access token has expired.",
}
KEYWORD = "Bearer"


def bearer_secret(request: HttpRequest) -> str | None:
    """The token of the ``Authorization: Bearer …`` header: None without one, "" if malformed."""
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].lower() != KEYWORD.lower().encode():
        return None
    if len(header) != 2:
        return ""
    try:
        return header[1].decode("ascii")
    except UnicodeDecodeError:
        return ""


def is_disabled_token(request: HttpRequest) -> bool:
    """Whether the request carries a token of a disabled account (one query, only with a token)."""
    secret = bearer_secret(request)
    if not secret:
        return False
    return AccessToken.objects.filter(token_hash=hash_token(secret), user__is_active=False).exists()


class AccessTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer atmo_…``: a personal access token (see :class:`AccessToken`).

    The user's own ``is_active`` is read on every request (the token and its user
    come in one query), so disabling an account stops its tokens at once. The
    disabled-account middleware refuses such a request first; this check covers
    an account disabled in between.
    """

    keyword = KEYWORD

    def authenticate(self, request: Request) -> tuple[Any, AccessToken] | None:
        secret = bearer_secret(request)
        if secret is None:
            return None
        token = AccessToken.find(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(REFUSALS["invalid"])
        if token.is_revoked:
            raise exceptions.AuthenticationFailed(REFUSALS["revoked"])
        if token.is_expired():
            raise exceptions.AuthenticationFailed(REFUSALS["expired"])
        if not token.user.is_active:
            raise exceptions.PermissionDenied(ACCOUNT_DISABLED_MESSAGE)
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
