"""What a request may do beyond who it is: the token's scope."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from atmo.api.models import AccessToken

READ_ONLY_MESSAGE = "This access token is read-only; create a read and write token to change things."


class TokenScope(permissions.IsAuthenticated):
    """Logged in, and a read-only token only reads (a session may do what its user may)."""

    message = READ_ONLY_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        token = request.auth
        if isinstance(token, AccessToken) and request.method not in permissions.SAFE_METHODS:
            return token.can_write
        return True
