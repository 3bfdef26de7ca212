"""Fingerprints of OpenSSH public keys."""

from __future__ import annotations

import base64
import binascii
import hashlib


def key_blob(data: str) -> bytes:
    """The decoded base64 part of an OpenSSH public key line (``type blob [comment]``)."""
    parts = data.strip().split()
    if len(parts) < 2:
        raise ValueError("An OpenSSH public key has a type and a base64 body.")
    try:
        return base64.b64decode(parts[1], validate=True)
    except binascii.Error as exc:
        raise ValueError("The key body is not valid base64.") from exc


def calculate_fingerprint(data: str) -> str:
    """The MD5 fingerprint as colon-separated hex pairs (``ssh-keygen -E md5 -l``)."""
    digest = hashlib.md5(key_blob(data), usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def calculate_sha256_fingerprint(data: str) -> str:
    digest = hashlib.sha256(key_blob(data)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
