"""Personal access tokens: how scripts and the ``atmo`` command act for a user."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

#: Every token starts with it, so that secret scanners (and people) recognise one.
TOKEN_PREFIX = "atmo_"  # noqa: S105 (a prefix, not a secret)
#: How much of a token is kept in clear to tell tokens apart in lists (prefix included).
SHOWN_LENGTH = len(TOKEN_PREFIX) + 6
#: The last use is written at most this often per token: not one write per request.
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_token(secret: str) -> str:
    """The stored form of a token: the hex SHA-256 of the whole string.

    A plain hash suffices (no salt, no slow hash): the secret is 256 random
    bits, not a password a dictionary could guess.
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class AccessTokenQuerySet(models.QuerySet["AccessToken"]):
    """Named filters of access tokens."""

    def usable(self) -> AccessTokenQuerySet:
        """Not revoked and not expired (the owner's account is checked on use)."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).exclude(expires_at__lte=now)


class AccessToken(models.Model):
    """A personal access token: a user's identity for the API, read-only or read-write."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the script using it.")
    scope = models.CharField(
        max_length=10,
        choices=Scope.choices,
        default=Scope.READ,
        help_text="Read only tokens can list and show; read and write ones can also change things.",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    shown_prefix = models.CharField(
        max_length=20, editable=False, help_text="The start of the token, to recognise it."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="No request is accepted after this.")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "personal access token"

    def __str__(self) -> str:
        return f"{self.name} ({self.shown_prefix}…)"

    @classmethod
    def issue(cls, user: Any, **fields: Any) -> tuple[AccessToken, str]:
        """Make a token for ``user``; returns it with its secret, the only time the secret exists."""
        secret = f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
        token = cls.objects.create(
            user=user, token_hash=hash_token(secret), shown_prefix=secret[:SHOWN_LENGTH], **fields
        )
        return token, secret

    @classmethod
    def find(cls, secret: str) -> AccessToken | None:
        """The token whose secret is ``secret``, with its user, whatever its state."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        return cls.objects.select_related("user").filter(token_hash=hash_token(secret)).first()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE

    def revoke(self) -> bool:
        """Stop the token from working; returns whether it was usable until now."""
        now = timezone.now()
        revoked = AccessToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=now)
        if revoked:
            self.revoked_at = now
        return bool(revoked)

    def note_use(self, now: datetime | None = None) -> None:
        """Record that the token was used, once per :data:`LAST_USED_PRECISION` at most."""
        now = now or timezone.now()
        if self.last_used_at is not None and self.last_used_at > now - LAST_USED_PRECISION:
            return
        # Conditional, so that concurrent requests of the same token write once.
        stale = models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lte=now - LAST_USED_PRECISION)
        AccessToken.objects.filter(stale, pk=self.pk).update(last_used_at=now)
        self.last_used_at = now
