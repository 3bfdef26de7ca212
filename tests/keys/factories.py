"""Real SSH keys made with ``cryptography``, and an SSHKey factory."""

from __future__ import annotations

import base64
import struct
import warnings
from typing import Any

import factory
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from atmo.keys.models import SSHKey
from tests.users.factories import UserFactory

CURVES = {
    "ecdsa-sha2-nistp256": ec.SECP256R1,
    "ecdsa-sha2-nistp384": ec.SECP384R1,
    "ecdsa-sha2-nistp521": ec.SECP521R1,
}

#: Every type ATMO accepts, mapped to a function making a new private key.
GENERATORS: dict[str, Any] = {
    "ssh-rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ssh-ed25519": ed25519.Ed25519PrivateKey.generate,
    **{name: (lambda curve=curve: ec.generate_private_key(curve())) for name, curve in CURVES.items()},
}


def private_key(key_type: str = "ssh-ed25519") -> Any:
    return GENERATORS[key_type]()


def openssh_line(key: Any, comment: str = "") -> str:
    """The one-line OpenSSH form of a (private or public) key's public half."""
    public = key.public_key() if hasattr(key, "public_key") else key
    line = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{line} {comment}" if comment else line


def public_key(key_type: str = "ssh-ed25519", comment: str = "alice@laptop") -> str:
    """A fresh OpenSSH public key line of ``key_type``."""
    return openssh_line(private_key(key_type), comment)


def private_key_text(key_format: str = "openssh") -> str:
    """A private key as a user might paste it by mistake (OpenSSH or PKCS#8 PEM)."""
    formats = {
        "openssh": serialization.PrivateFormat.OpenSSH,
        "pkcs8": serialization.PrivateFormat.PKCS8,
    }
    return (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, formats[key_format], serialization.NoEncryption())
        .decode()
    )


def dsa_public_key() -> str:
    """A well-formed ``ssh-dss`` key (cryptography still parses those; ATMO refuses them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography's deprecation of DSA
        # OpenSSH's DSA is 1024 bits by definition; it is refused, never used.
        return openssh_line(dsa.generate_private_key(key_size=1024), "old@box")  # noqa: S505


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def unknown_type_line(key_type: str = "ssh-unheard-of") -> str:
    """A well-formed line of a key type nobody knows (its blob names the same type)."""
    blob = _ssh_string(key_type.encode()) + _ssh_string(b"\x01" * 32)
    return f"{key_type} {base64.b64encode(blob).decode()}"


def security_key_line() -> str:
    """A well-formed ``sk-ssh-ed25519@openssh.com`` key (a FIDO token key)."""
    key_type = b"sk-ssh-ed25519@openssh.com"
    raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    blob = _ssh_string(key_type) + _ssh_string(raw) + _ssh_string(b"ssh:")
    return f"{key_type.decode()} {base64.b64encode(blob).decode()} token@laptop"


class SSHKeyFactory(factory.django.DjangoModelFactory):
    """A new Ed25519 key (fast to make) of a new user, unless ``created_by`` says whose."""

    class Meta:
        model = SSHKey

    title = factory.Sequence(lambda n: f"key {n}")
    key = factory.LazyFunction(public_key)
    created_by = factory.SubFactory(UserFactory)
