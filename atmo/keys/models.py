"""The SSH key model."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Lower
from django.utils.functional import cached_property

from atmo.keys.utils import calculate_fingerprint, describe_key_type
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
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="The key's SHA256 fingerprint, as ssh-keygen -l prints it."
    )

    url_prefix = "keys"
    url_actions = ["detail", "delete", "raw"]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["created_by", "fingerprint"], name="unique_key_per_user"),
            # The new-cluster form picks a key by its title: two alike would be a guess.
            models.UniqueConstraint(
                "created_by",
                Lower("title"),
                name="unique_key_title_per_user",
                violation_error_message="You already have a key with this title.",
            ),
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
        """The same as :attr:`fingerprint` (SHA256); kept as a name the API documents."""
        return self.fingerprint or calculate_fingerprint(self.key)

    @cached_property
    def type_name(self) -> str:
        """``ED25519``, ``RSA 4096``, ``ECDSA 256``…"""
        return describe_key_type(self.key)
