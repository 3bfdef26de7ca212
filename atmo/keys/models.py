"""The SSH key model."""

from __future__ import annotations

from typing import Any

from django.db import models

from atmo.keys.utils import calculate_fingerprint, calculate_sha256_fingerprint
from atmo.models import CreatedByModel, EditedAtModel, URLActionModel

KEY_HELP = "Should start with one of the following prefixes: {}."


class SSHKey(CreatedByModel, EditedAtModel, URLActionModel):
    """A public SSH key a user can install on the clusters they launch."""

    #: The key types ATMO accepts (RSA, ECDSA and Ed25519).
    VALID_PREFIXES = [
        "ssh-rsa",
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
    ]

    title = models.CharField(max_length=100, help_text="Name to give to this public key")
    key = models.TextField(help_text=KEY_HELP.format(", ".join(VALID_PREFIXES)))
    fingerprint = models.CharField(max_length=48, blank=True)

    url_prefix = "keys"
    url_actions = ["detail", "delete", "raw"]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["created_by", "fingerprint"], name="unique_key_per_user")
        ]
        ordering = ["-created_at"]
        verbose_name = "SSH key"
        verbose_name_plural = "SSH keys"

    def __str__(self) -> str:
        return self.title

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.SSHKey title={self.title!r} fingerprint={self.fingerprint!r}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, with the fingerprint recomputed from the key (which must be valid)."""
        self.fingerprint = calculate_fingerprint(self.key)
        super().save(*args, **kwargs)

    @property
    def prefix(self) -> str:
        return self.key.strip().split()[0] if self.key.strip() else ""

    @property
    def sha256_fingerprint(self) -> str:
        return calculate_sha256_fingerprint(self.key)
